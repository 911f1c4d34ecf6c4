"""`alphamoe data import / generate / index` into an existing store add or replace days and keep the others.

These tests use only the CLI and the reader, so they run (and fail) against the code before the append path.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.actions.store import read_actions
from alphamoe.data.universe import index_bars
from alphamoe.market.bars import BarStore
from alphamoe.storage import open_store

HEADER = "股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额"
runner = CliRunner()


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def _ganlei(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sh600000.csv").write_text(f"banner\n{HEADER}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _import(path: Path, out: Path, *extra: str) -> str:
    result = runner.invoke(data_app, ["import", "--format", "ganlei", "--path", str(path), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_import_when_one_day_csv_into_existing_store_then_other_years_kept(tmp_path: Path) -> None:
    # the issue: a one-day import deleted 30 years and left one year file
    history = _ganlei(
        tmp_path / "history",
        [
            "sh600000,浦发银行,2020-06-30,9.80,9.90,9.75,9.85,9.80,3000000.0,29550000.0",
            "sh600000,浦发银行,2021-06-30,9.80,9.90,9.75,9.85,9.80,3000000.0,29550000.0",
            "sh600000,浦发银行,2021-07-01,9.85,9.95,9.80,9.90,9.85,3000000.0,29700000.0",
        ],
    )
    out = tmp_path / "store"
    _import(history, out)
    one_day = _ganlei(
        tmp_path / "today", ["sh600000,浦发银行,2022-01-04,9.90,9.99,9.85,9.95,9.90,3000000.0,29850000.0"]
    )
    output = _import(one_day, out)
    store = BarStore(out)
    assert store.years == [2020, 2021, 2022]
    assert store.sessions() == [date(2020, 6, 30), date(2021, 6, 30), date(2021, 7, 1), date(2022, 1, 4)]
    assert store.frame()["listing_index"].tolist() == [0, 1, 2, 3]  # counted on from the stored bars
    assert "days added 1" in output
    before = _snapshot(out)
    assert "unchanged 1" in _import(one_day, out)  # the same day twice changes nothing, not even meta.json
    assert _snapshot(out) == before


def test_import_when_day_lacks_stored_stock_then_refused_naming_it_unless_replace(tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    row = "{code},{name},2022-01-04,9.90,9.99,9.85,9.95,9.90,3000000.0,29850000.0"
    for code, name in (("sh600000", "浦发银行"), ("sh600004", "白云机场")):
        (folder / f"{code}.csv").write_text(f"b\n{HEADER}\n{row.format(code=code, name=name)}\n", encoding="utf-8")
    out = tmp_path / "store"
    _import(folder, out)
    before = _snapshot(out)
    one = _ganlei(tmp_path / "one", [row.format(code="sh600000", name="浦发银行").replace("9.95,9.90", "9.96,9.90")])
    result = runner.invoke(data_app, ["import", "--format", "ganlei", "--path", str(one), "--out", str(out)])
    assert result.exit_code == 2
    assert "600004.SH on 2022-01-04" in result.output and "--replace" in result.output
    assert _snapshot(out) == before
    output = _import(one, out, "--replace")
    assert "replaced 1" in output and "backup" in output
    assert sorted(BarStore(out).day(date(2022, 1, 4))) == ["600000.SH"]
    assert (out / "backups" / "g000001" / "bars" / "2022.parquet").read_bytes() == before["bars/2022.parquet"][0]


def test_generate_cli_when_out_holds_other_market_then_exit_2_unless_replace(tmp_path: Path) -> None:
    args = ["generate", "--symbols", "20", "--start", "2024-01-02", "--end", "2024-02-29", "--out", str(tmp_path)]
    assert runner.invoke(data_app, args).exit_code == 0
    before = _snapshot(tmp_path)
    assert runner.invoke(data_app, args).exit_code == 0  # the same market again: nothing changes
    assert _snapshot(tmp_path) == before
    shorter = [*args[:-3], "2024-01-31", "--out", str(tmp_path)]
    refused = runner.invoke(data_app, shorter)
    assert refused.exit_code == 2 and "would remove" in refused.output
    assert _snapshot(tmp_path) == before
    assert runner.invoke(data_app, [*shorter, "--replace"]).exit_code == 0
    assert BarStore(tmp_path).sessions()[-1] == date(2024, 1, 31)


def test_index_import_when_csv_has_fewer_days_then_other_days_kept(tmp_path: Path) -> None:
    store = tmp_path / "store"
    args = ["generate", "--symbols", "10", "--start", "2024-01-02", "--end", "2024-01-31", "--out", str(store)]
    assert runner.invoke(data_app, args).exit_code == 0
    folder = tmp_path / "index"
    folder.mkdir()
    head = "date,open,close,high,low,volume,amount\n"
    (folder / "sh000300.csv").write_text(head + "2024-01-02,1,2,3,1,10,20\n2024-01-03,2,3,4,2,10,20\n")
    args = ["index", "--path", str(folder), "--out", str(store)]
    assert runner.invoke(data_app, args).exit_code == 0
    (folder / "sh000300.csv").write_text(head + "2024-01-04,3,4,5,3,10,20\n")
    assert runner.invoke(data_app, args).exit_code == 0
    assert [d.isoformat() for d in index_bars(BarStore(store), "CSI300")["date"]] == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]


def test_import_when_one_day_then_inferred_actions_of_other_days_kept(tmp_path: Path) -> None:
    history = _ganlei(
        tmp_path / "history",
        [
            "sh600000,浦发银行,2021-06-30,9.80,9.90,9.75,9.85,9.80,3000000.0,29550000.0",
            "sh600000,XD浦发银,2021-07-01,9.50,9.60,9.45,9.55,9.45,3000000.0,28650000.0",  # 0.40 dividend
        ],
    )
    out = tmp_path / "store"
    _import(history, out)
    assert [a.ex_date for a in read_actions(open_store(out))] == [date(2021, 7, 1)]
    # the next day goes ex again: inferred from the stored close, beside the kept one
    one_day = _ganlei(tmp_path / "day", ["sh600000,XD浦发银,2021-07-02,9.30,9.40,9.25,9.35,9.35,3000000.0,28000000.0"])
    _import(one_day, out)
    assert [a.ex_date for a in read_actions(open_store(out))] == [date(2021, 7, 1), date(2021, 7, 2)]
