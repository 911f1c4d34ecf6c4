from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.importer import Imported
from alphamoe.data.quality import check_bars, session_calendar
from alphamoe.data.universe import read_index_csv

REAL_INDEX = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ashare" / "index"
SESSIONS = [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5), date(2024, 6, 6), date(2024, 6, 7)]


def _bar(day: date, close: float, prev: float, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "date": day, "symbol": "600000.SH", "name": "浦发银行", "open": close, "high": close, "low": close,
        "close": close, "prev_close": prev, "volume": 1e6, "amount": close * 1e6, "st": False, "listing_index": 100,
    }  # fmt: skip
    row.update(extra)
    return row


def _rules(rows: list[dict[str, object]], *, gaps: bool = False) -> list[tuple[str, date, str]]:
    # one stock alone leaves sessions with no bar at all: calendar gaps only where a test asks for them
    found = [(f.symbol, f.day, f.rule) for f in check_bars(pd.DataFrame(rows), SESSIONS)]
    return [f for f in found if gaps or f[2] != "calendar_gap"]


def test_check_when_clean_bars_then_no_finding() -> None:
    rows = [_bar(SESSIONS[0], 10.0, 9.9), _bar(SESSIONS[1], 11.0, 10.0), _bar(SESSIONS[2], 10.5, 11.0)]
    assert _rules(rows) == []


def test_check_when_high_below_open_then_ohlc_finding_with_prices() -> None:
    findings = check_bars(pd.DataFrame([_bar(SESSIONS[0], 10.0, 9.9, open=10.2, high=10.1)]), SESSIONS)
    assert [(f.rule, f.detail) for f in findings] == [("ohlc", "open 10.20 high 10.10 low 10.00 close 10.00")]


def test_check_when_close_beyond_limit_then_band_but_not_on_listing_day() -> None:
    rows = [_bar(SESSIONS[0], 11.01, 10.0), _bar(SESSIONS[1], 20.0, 11.01)]  # +10.1%, then +82%
    assert _rules(rows) == [("600000.SH", SESSIONS[0], "band"), ("600000.SH", SESSIONS[1], "band")]
    rows[1]["listing_index"] = 0  # the listing day has no limit
    rows[0]["listing_index"] = 200
    assert _rules(rows[1:]) == []


def test_check_when_st_stock_moves_six_percent_then_band() -> None:
    assert _rules([_bar(SESSIONS[0], 10.6, 10.0, st=True)]) == [("600000.SH", SESSIONS[0], "band")]
    assert _rules([_bar(SESSIONS[0], 10.5, 10.0, st=True)]) == []


def test_check_when_gap_and_price_jumps_up_then_missing_bar_not_suspension() -> None:
    suspended = [_bar(SESSIONS[0], 10.0, 9.9), _bar(SESSIONS[3], 10.2, 10.0)]  # resumes from the last close
    assert _rules(suspended) == []
    ex_rights = [_bar(SESSIONS[0], 10.0, 9.9), _bar(SESSIONS[3], 5.1, 5.0)]  # bonus shares while suspended
    assert _rules(ex_rights) == []
    lost = [_bar(SESSIONS[0], 10.0, 9.9), _bar(SESSIONS[3], 10.6, 10.4)]  # 10.4 closed on a day we lack
    assert _rules(lost) == [("600000.SH", SESSIONS[3], "missing_bar")]


def test_check_when_duplicate_zero_volume_weekend_and_stale_names_then_each_rule() -> None:
    rows = [
        _bar(SESSIONS[0], 10.0, 9.9),
        _bar(SESSIONS[0], 10.0, 9.9),
        _bar(SESSIONS[1], 10.0, 10.0, volume=0.0),
        _bar(date(2024, 6, 8), 10.0, 10.0),  # a Saturday
        _bar(SESSIONS[2], 10.0, 10.0, name="N浦发"),
        _bar(SESSIONS[3], 10.0, 10.0, name="XD浦发银"),  # no ex-rights step
        _bar(SESSIONS[4], 9.5, 10.0, name="XD浦发银"),  # a real step: 10.0 → 9.5 reference... but prev = last
    ]
    rules = _rules(rows)
    assert ("600000.SH", SESSIONS[0], "duplicate_day") in rules
    assert ("600000.SH", SESSIONS[1], "zero_volume") in rules
    assert ("600000.SH", date(2024, 6, 8), "not_a_session") in rules
    assert ("600000.SH", SESSIONS[2], "stale_name") in rules
    assert ("600000.SH", SESSIONS[3], "stale_name") in rules


def test_check_when_volume_in_lots_then_volume_units_finding() -> None:
    rows = [_bar(d, 10.0, 10.0, volume=1e4, amount=1e6 * 10) for d in SESSIONS[:3]]
    findings = check_bars(pd.DataFrame(rows), SESSIONS)
    assert [(f.rule, f.detail.endswith("lots (×100)")) for f in findings] == [("volume_units", True)]


def test_check_when_session_without_any_bar_then_calendar_gap() -> None:
    rows = [_bar(SESSIONS[0], 10.0, 9.9), _bar(SESSIONS[2], 10.0, 10.0)]
    assert ("*", SESSIONS[1], "calendar_gap") in _rules(rows, gaps=True)


@pytest.mark.realdata
def test_check_when_real_folder_then_known_bad_row_and_nothing_on_listing_days(real_daily: Imported) -> None:
    if not REAL_INDEX.is_dir():
        pytest.skip("real index data absent")
    bars = real_daily.bars
    sse = list(read_index_csv(REAL_INDEX / "sh000001.csv")["date"])
    findings = check_bars(bars, session_calendar(bars["date"].min(), bars["date"].max(), sse))
    assert ("600690.SH", date(1994, 4, 4), "ohlc") in {(f.symbol, f.day, f.rule) for f in findings}
    assert [f for f in findings if f.rule == "ohlc"] == [
        f for f in findings if f.symbol == "600690.SH" and f.rule == "ohlc"
    ]
    first_days = set(
        zip(bars.loc[bars["listing_index"] == 0, "symbol"], bars.loc[bars["listing_index"] == 0, "date"], strict=True)
    )
    assert not [f for f in findings if (f.symbol, f.day) in first_days]
    assert not [f for f in findings if f.rule in ("calendar_gap", "duplicate_day", "zero_volume", "volume_units")]
    assert len(findings) < 150  # a report a person can read, not noise


@pytest.mark.realdata
def test_check_when_real_folder_without_an_index_then_the_same_calendar_findings(real_daily: Imported) -> None:
    # the calendar was XSHG from 2006-11-27 (and "today − 20 years" before that): 1993-2006 bars were all
    # `not_a_session` without an index, and 226 bars of late 2006 slid out of the calendar as the days passed
    if not REAL_INDEX.is_dir():
        pytest.skip("real index data absent")
    bars = real_daily.bars
    first, last = bars["date"].min(), bars["date"].max()
    sse = list(read_index_csv(REAL_INDEX / "sh000001.csv")["date"])
    alone, with_sse = (
        [
            f
            for f in check_bars(bars, session_calendar(first, last, index))
            if f.rule in ("not_a_session", "calendar_gap")
        ]
        for index in ([], sse)
    )
    assert alone == with_sse
    # what is left is real: five Saturday bars of a Shenzhen stock in 1993, days Shanghai did not trade
    assert [(f.symbol, f.day, f.day.weekday()) for f in alone] == [
        ("000511.SZ", date(1993, m, d), 5) for m, d in ((7, 17), (8, 7), (8, 21), (9, 25), (10, 16))
    ]


def test_data_check_cli_when_store_then_table_and_json(tmp_path: Path) -> None:
    from alphamoe.market.bars import BarStore

    rows = [_bar(SESSIONS[0], 10.0, 9.9, open=10.2, high=10.1), _bar(SESSIONS[1], 10.0, 10.0)]
    inst = pd.DataFrame(
        {
            "symbol": ["600000.SH"],
            "name": ["浦发银行"],
            "board": ["main"],
            "list_date": [date(1999, 11, 10)],
            "delist_date": [None],
        }
    )
    BarStore.write(tmp_path / "s", pd.DataFrame(rows), inst, {})
    result = CliRunner().invoke(
        data_app, ["check", "--data", str(tmp_path / "s"), "--json", str(tmp_path / "f.json"), "--strict"]
    )
    assert result.exit_code == 1, result.output
    assert "600000.SH 2024-06-03 ohlc" in result.output
    assert '"rule": "ohlc"' in (tmp_path / "f.json").read_text(encoding="utf-8")
