"""`alphamoe data import` into an existing store: the new days go through the quality gate, as `data update`'s do.

The old import skipped a bad row and published the rest of the day: a −1 volume, a price outside the day's
band or a missing previous close vanished without the day being held. These tests use only the CLI and the
store's files, so they run (and fail) against the import before the gate.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.quarantine import quarantined_days
from alphamoe.market.bars import BarStore
from alphamoe.storage import open_store

HEADER = "股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额"
STOCKS = {"sh600000": "浦发银行", "sh600004": "白云机场", "sh600006": "东风汽车", "sh600007": "中国国贸"}
HISTORY = ("2022-01-04", "2022-01-05", "2022-01-06")
NEXT = "2022-01-07"
runner = CliRunner()


def _row(code: str, day: str, prev: float, close: float, *, volume: str = "3000000.0", high: float = 0) -> str:
    top = high or max(prev, close) + 0.05
    return f"{code},{STOCKS[code]},{day},{prev:.2f},{top:.2f},{min(prev, close) - 0.05:.2f},{close:.2f},{prev:.2f}," + (
        f"{volume},{3000000 * close:.1f}"
    )


def _write(folder: Path, rows: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for code, lines in rows.items():
        (folder / f"{code}.csv").write_text(f"banner\n{HEADER}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _import(path: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(data_app, ["import", "--format", "ganlei", "--path", str(path), "--out", str(out), *extra])
    return result.exit_code, str(result.output)


def _store(tmp_path: Path) -> Path:
    # four stocks, three sessions, each close 0.10 above the one before
    history = {code: [_row(code, d, 10 + 0.1 * i, 10.1 + 0.1 * i) for i, d in enumerate(HISTORY)] for code in STOCKS}
    out = tmp_path / "store"
    code, output = _import(_write(tmp_path / "history", history), out)
    assert code == 0, output
    return out


def _published(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] != "quarantine"
    }


def test_import_when_day_has_bad_rows_then_quarantined_with_every_finding_and_store_unchanged(tmp_path: Path) -> None:
    out = _store(tmp_path)
    before = _published(out)
    prev = 10.30  # every stock's stored close of 2022-01-06
    day = {
        "sh600000": [_row("sh600000", NEXT, prev, 10.40, volume="-1")],  # a vendor's "unknown"
        "sh600004": [_row("sh600004", NEXT, prev, 11.80, high=11.80)],  # +14.6%: outside the 10% band
        "sh600006": [_row("sh600006", NEXT, prev, 10.40).replace(f",{prev:.2f},3000000.0", ",,3000000.0")],
        "sh600007": [_row("sh600007", NEXT, prev, 10.40)],
    }
    code, output = _import(_write(tmp_path / "day", day), out)
    assert code == 1, output
    assert f"{NEXT} quarantined" in output
    assert _published(out) == before  # nothing already in the store changed, byte for byte
    assert BarStore(out).sessions()[-1] == date(2022, 1, 6)
    held = quarantined_days(open_store(out))
    assert [q.day for q in held] == [date(2022, 1, 7)] and held[0].source == "import:ganlei"
    found = {(f["symbol"], f["rule"]) for f in held[0].findings}
    assert {("600000.SH", "negative_volume"), ("600004.SH", "band"), ("600006.SH", "missing_prev_close")} <= found
    assert held[0].rows == 4  # the bad rows are kept for the operator, not skipped


def test_import_when_file_truncated_or_stock_twice_then_day_quarantined(tmp_path: Path) -> None:
    out = _store(tmp_path)
    before = _published(out)
    good = {code: [_row(code, NEXT, 10.30, 10.40)] for code in STOCKS}
    good["sh600007"] = [good["sh600007"][0][:30]]  # the file ends inside the row
    good["sh600006"] = good["sh600006"] * 2  # the same stock-day twice
    code, output = _import(_write(tmp_path / "day", good), out)
    assert code == 1, output
    assert _published(out) == before
    rules = {(f["symbol"], f["rule"]) for f in quarantined_days(open_store(out))[0].findings}
    assert ("600007.SH", "not_a_number") in rules and ("600006.SH", "duplicate_day") in rules


def test_import_when_day_clean_then_admitted_and_no_check_keeps_the_old_append(tmp_path: Path) -> None:
    out = _store(tmp_path)
    clean = {code: [_row(code, NEXT, 10.30, 10.40)] for code in STOCKS}
    code, output = _import(_write(tmp_path / "clean", clean), out)
    assert code == 0, output
    assert "quality gate" in output and "days added 1" in output
    assert BarStore(out).sessions()[-1] == date(2022, 1, 7)
    assert BarStore(out).frame()["listing_index"].max() == 3  # counted on from the stored bars
    monday = {code: [_row(code, "2022-01-10", 10.40, 10.50)] for code in STOCKS}
    monday["sh600000"] = [_row("sh600000", "2022-01-10", 10.40, 10.50, volume="-1")]
    code, output = _import(_write(tmp_path / "monday", monday), out, "--no-check")
    assert code == 0, output  # unchecked: the bad row is skipped and counted, the rest published
    assert "volume or amount is not a number >= 0" in output
    assert sorted(BarStore(out).day(date(2022, 1, 10))) == ["600004.SH", "600006.SH", "600007.SH"]
