from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.market.bars import BarStore

HEADER = "股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额"
ROW = "sh600000,浦发银行,2021-06-30,9.80,9.90,9.75,9.85,9.80,3000000.0,29550000.0"

runner = CliRunner()


def _flat(text: str) -> str:
    # rich wraps long lines at the test terminal's width: compare without whitespace
    return re.sub(r"\s", "", text)


def test_generate_when_out_given_then_store_written_and_summary_printed(tmp_path: Path) -> None:
    out = tmp_path / "market"
    args = [
        "generate",
        "--symbols",
        "30",
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-31",
        "--seed",
        "3",
        "--out",
        str(out),
    ]
    result = runner.invoke(data_app, args)
    assert result.exit_code == 0, result.output
    store = BarStore(out)
    assert store.meta()["seed"] == 3
    assert len(store.instruments()) == 30
    assert _flat("alphamoe.data.synthetic seed 3") in _flat(result.output)
    assert _flat("2024-01-02 … 2024-01-31") in _flat(result.output)


def test_generate_when_no_out_then_writes_to_alphamoe_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_DATA", str(tmp_path / "env-data"))
    result = runner.invoke(data_app, ["generate", "--symbols", "20", "--start", "2024-03-01", "--end", "2024-03-08"])
    assert result.exit_code == 0, result.output
    assert BarStore(tmp_path / "env-data").meta()["seed"] == 7


def test_generate_when_bad_date_then_exit_2_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(data_app, ["generate", "--start", "2024-13-01", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert _flat("--start '2024-13-01' is not a date") in _flat(result.output)
    assert "Traceback" not in result.output


def test_import_when_ganlei_folder_then_store_and_summary(tmp_path: Path) -> None:
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "sh600000.csv").write_text(f"banner\n{HEADER}\n{ROW}\n", encoding="utf-8")
    out = tmp_path / "store"
    result = runner.invoke(
        data_app, ["import", "--format", "ganlei", "--path", str(tmp_path / "daily"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert BarStore(out).meta()["importer"] == "ganlei"
    assert "ganlei import" in result.output


def test_import_when_columns_missing_then_exit_2_naming_file_and_columns(tmp_path: Path) -> None:
    (tmp_path / "sh600000.csv").write_text(f"banner\n{HEADER.replace(',成交额', '')}\n", encoding="utf-8")
    result = runner.invoke(data_app, ["import", "--path", str(tmp_path), "--out", str(tmp_path / "store")])
    assert result.exit_code == 2
    assert _flat("sh600000.csv lacks the ganlei columns ['成交额']") in _flat(result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_import_when_unknown_format_then_exit_2_listing_supported(tmp_path: Path) -> None:
    result = runner.invoke(data_app, ["import", "--format", "wind", "--path", str(tmp_path)])
    assert result.exit_code == 2
    assert _flat("--format 'wind' is not supported (supported: ganlei, akshare, tushare, baostock, qmt)") in _flat(
        result.output
    )
