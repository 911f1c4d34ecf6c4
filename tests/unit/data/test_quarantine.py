"""The quality gate: a day that fails the `data check` rules in the store's context is quarantined, not published."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.quarantine import quarantined_days
from alphamoe.data.store_write import admit_days
from alphamoe.data.synthetic import generate_market
from alphamoe.market.bars import BarStore
from alphamoe.storage import open_store

runner = CliRunner()


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_market(60, date(2024, 1, 2), date(2024, 3, 29), 3)


def _store(root: Path, market: tuple[pd.DataFrame, pd.DataFrame], days_held_back: int) -> list[date]:
    bars, instruments = market
    days = sorted(set(bars["date"]))
    BarStore.write(root, bars[bars["date"] < days[-days_held_back]], instruments, {"generator": "test"})
    return days[-days_held_back:]


def _published(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] != "quarantine"
    }


def _seasoned(day: pd.DataFrame, count: int) -> list[int]:
    # rows of stocks long past their listing days and not ST: the band is the board's ordinary one
    return list(day.index[(day["listing_index"] > 30) & ~day["st"]][:count])


def test_admit_when_clean_days_then_published_in_order(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, _ = market
    new = _store(tmp_path, market, 3)
    result = admit_days(tmp_path, bars[bars["date"].isin(new)], source="stand-in vendor")
    assert result.admitted == new and result.quarantined == {}
    assert BarStore(tmp_path).sessions()[-3:] == new
    assert quarantined_days(open_store(tmp_path)) == []


def test_admit_when_bad_rows_then_day_quarantined_with_every_finding_and_store_unchanged(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, _ = market
    first, second = _store(tmp_path, market, 2)
    before = _published(tmp_path)
    day = bars[bars["date"] == first].copy()
    band, volume, missing, step = _seasoned(day, 4)
    outside = float(day.at[band, "prev_close"]) * 1.5  # outside the day's limit band
    day.loc[band, "high"] = outside
    day.loc[band, "close"] = outside
    day.loc[volume, "volume"] = -1.0  # a vendor's "unknown"
    day.loc[missing, "prev_close"] = np.nan
    day.loc[step, "prev_close"] = float(day.at[step, "prev_close"]) * 1.03  # not the stored close, no action
    day = pd.concat([day, day.loc[[band]]])  # the same stock twice on the day
    incoming = pd.concat([day, bars[bars["date"] == second]])
    result = admit_days(tmp_path, incoming, source="stand-in vendor")
    assert result.admitted == []
    assert sorted(result.quarantined) == [first, second]
    found = {(f["symbol"], f["rule"]) for f in result.quarantined[first]}
    symbols = bars["symbol"]  # the rows' labels come from the market frame
    assert {
        (symbols[band], "band"),
        (symbols[band], "duplicate_day"),
        (symbols[volume], "negative_volume"),
        (symbols[missing], "missing_prev_close"),
        (symbols[step], "prev_close"),
    } <= found
    assert "after_quarantined_day" in {f["rule"] for f in result.quarantined[second]}
    assert _published(tmp_path) == before  # nothing already in the store changed
    note = json.loads((tmp_path / "quarantine" / first.isoformat() / "findings.json").read_text())
    assert note["source"] == "stand-in vendor" and len(note["findings"]) == len(result.quarantined[first])
    assert (tmp_path / "quarantine" / first.isoformat() / "bars.parquet").is_file()


def test_admit_when_day_truncated_then_quarantined_as_incomplete(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, _ = market
    (first,) = _store(tmp_path, market, 1)
    day = bars[bars["date"] == first]
    result = admit_days(tmp_path, day.iloc[: len(day) // 2], source="files")
    assert [f["rule"] for f in result.quarantined[first]] == ["incomplete_day"]
    assert BarStore(tmp_path).sessions()[-1] < first


def test_quarantine_cli_lists_reasons_and_release_needs_force(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, _ = market
    (first,) = _store(tmp_path, market, 1)
    day = bars[bars["date"] == first].copy()
    (row,) = _seasoned(day, 1)
    day.loc[row, "volume"] = -1.0
    admit_days(tmp_path, day, source="stand-in vendor")
    listed = runner.invoke(data_app, ["quarantine", "--data", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert first.isoformat() in listed.output and "negative_volume" in listed.output
    assert "1 quarantined day(s)" in listed.output
    refused = runner.invoke(data_app, ["quarantine", "--data", str(tmp_path), "--release", first.isoformat()])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert BarStore(tmp_path).sessions()[-1] < first
    released = runner.invoke(
        data_app, ["quarantine", "--data", str(tmp_path), "--release", first.isoformat(), "--force"]
    )
    assert released.exit_code == 0, released.output
    assert BarStore(tmp_path).sessions()[-1] == first
    assert quarantined_days(open_store(tmp_path)) == []
