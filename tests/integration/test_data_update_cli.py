"""`alphamoe data update` end to end: settings from the environment, the tushare stand-in, the table printed."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.tdx_files import write_vipdoc
from support.tushare_standin import TOKEN, TushareStandin, tushare_tables
from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.importer import Imported
from alphamoe.market.bars import BarStore

pytestmark = pytest.mark.realdata
runner = CliRunner()


def _flat(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def recent(real_daily: Imported) -> pd.DataFrame:
    return real_daily.bars[real_daily.bars["date"] >= date(2021, 11, 1)].reset_index(drop=True)


def _seed(out: Path, recent: pd.DataFrame, real_daily: Imported) -> None:
    BarStore.write(out, recent[recent["date"] <= date(2022, 1, 11)], real_daily.instruments, {"source": "seed"})


def test_update_cli_when_tushare_standin_configured_then_days_admitted_and_table_printed(
    tmp_path: Path, recent: pd.DataFrame, real_daily: Imported, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(tmp_path / "s", recent, real_daily)
    with TushareStandin(tushare_tables(recent, real_daily.instruments)) as server:
        monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__BASE_URL", server.base_url)
        monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__TOKEN", TOKEN)
        monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__INDICES", "[]")
        result = runner.invoke(data_app, ["update", "--until", "2022-01-14", "--data", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "3:2022-01-12…2022-01-14" in _flat(result.output)
    assert BarStore(tmp_path / "s").sessions()[-1] == date(2022, 1, 14)


def test_update_cli_when_token_wrong_then_exit_2_with_tushare_message(
    tmp_path: Path, recent: pd.DataFrame, real_daily: Imported, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(tmp_path / "s", recent, real_daily)
    with TushareStandin(tushare_tables(recent, real_daily.instruments)) as server:
        monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__BASE_URL", server.base_url)
        monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__TOKEN", "not-the-token")
        result = runner.invoke(data_app, ["update", "--date", "2022-01-12", "--data", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "token" in result.output and "-2001" in result.output


def test_update_cli_when_tdx_day_quarantined_then_exit_1_and_findings_printed(
    tmp_path: Path, recent: pd.DataFrame, real_daily: Imported
) -> None:
    _seed(tmp_path / "s", recent, real_daily)
    bad = recent[recent["date"] <= date(2022, 1, 12)].copy()
    first = bad.index[bad["date"] == date(2022, 1, 12)][0]
    bad.loc[first, ["high", "close"]] = bad.loc[first, "close"] * 1.5
    write_vipdoc(tmp_path / "tdx", bad)
    args = ["update", "--source", "tdx", "--path", str(tmp_path / "tdx"), "--date", "2022-01-12"]
    result = runner.invoke(data_app, [*args, "--data", str(tmp_path / "s")])
    assert result.exit_code == 1, result.output
    assert "2022-01-12quarantined" in _flat(result.output) and "band" in result.output
    assert BarStore(tmp_path / "s").sessions()[-1] == date(2022, 1, 11)


def test_update_cli_when_date_and_since_both_given_then_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(data_app, ["update", "--date", "2022-01-12", "--since", "2022-01-10"])
    assert result.exit_code == 2 and "not both" in result.output
