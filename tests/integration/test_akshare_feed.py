"""The akshare source (our eastmoney client) over real HTTP against the eastmoney stand-in (support.eastmoney_standin).

The stand-in serves the real A-share files (../shared/data/ashare) in eastmoney's JSON shapes and units: the
spot list of 2022-01-14 (its close), each stock's raw klines and the 分红送配 of each ex date. The source must
bring back the imported bars exactly: 手 → shares, today's names and previous closes from the spot list, and
a past day's exchange previous close from the kline before it, ex-rights by the day's dividends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from support.eastmoney_standin import EastmoneyStandin
from support.paths import REAL_DATA

from alphamoe.data.actions.infer import infer_actions
from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.feeds.akshare import AkshareSource, EastmoneyClient
from alphamoe.data.feeds.config import DataSourceSettings
from alphamoe.data.feeds.pacing import RateLimiter, Retry, VendorUnavailableError
from alphamoe.data.importer import Imported
from alphamoe.data.universe import read_index_csv
from alphamoe.data.update import open_source, update_store
from alphamoe.market.bars import BAR_COLUMNS, BarStore

pytestmark = pytest.mark.realdata
TODAY = date(2022, 1, 14)  # the spot list's day: the real files' last session
INDICES = ("sh000300", "sh000001")
VALUES = [c for c in BAR_COLUMNS if c not in ("listing_index", "name", "st")]


class Sleeps:
    """A sleep that records its waits instead of waiting (the pacing is checked, the test stays fast)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def recent(real_daily: Imported) -> pd.DataFrame:
    return real_daily.bars[real_daily.bars["date"] >= date(2021, 1, 4)].reset_index(drop=True)


@pytest.fixture(scope="module")
def actions(real_daily: Imported) -> list[CorporateAction]:
    return [a for a in infer_actions(real_daily.bars) if a.ex_date >= date(2021, 1, 4)]


@pytest.fixture
def standin(recent: pd.DataFrame, actions: list[CorporateAction]) -> Iterator[EastmoneyStandin]:
    indices = {f"{n[2:]}.{n[:2].upper()}": read_index_csv(REAL_DATA / "index" / f"{n}.csv") for n in INDICES}
    recent_indices = {code: series[series["date"] >= date(2021, 1, 4)] for code, series in indices.items()}
    with EastmoneyStandin(bars=recent, actions=actions, indices=recent_indices) as server:
        yield server


def _source(server: EastmoneyStandin, sleeps: Sleeps | None = None, *, per_minute: int = 0) -> AkshareSource:
    sleeps = sleeps or Sleeps()
    client = EastmoneyClient(
        limiter=RateLimiter(per_minute, sleep=sleeps), retry=Retry(attempts=3, backoff_s=0.5, sleep=sleeps)
    )
    url = server.base_url
    return AkshareSource(
        client,
        spot_url=f"{url}/api/qt/clist/get",
        kline_url=f"{url}/api/qt/stock/kline/get",
        dividend_url=f"{url}/api/data/v1/get",
        indices=("000300.SH",),
    )


def _listed_today(recent: pd.DataFrame) -> set[str]:
    spans = recent.groupby("symbol")["date"].agg(["min", "max"])
    return set(spans[(spans["min"] <= TODAY) & (spans["max"] >= TODAY)].index)


def _same_bars(got: pd.DataFrame, want: pd.DataFrame, columns: list[str]) -> None:
    got = got.sort_values("symbol").reset_index(drop=True)
    want = want.sort_values("symbol").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[columns], want[columns], check_dtype=False, rtol=1e-9)


def test_fetch_day_when_spot_list_is_the_days_close_then_bars_names_and_suspensions_are_the_real_ones(
    standin: EastmoneyStandin, recent: pd.DataFrame
) -> None:
    batch = _source(standin).fetch_day(TODAY)
    want = recent[recent["date"] == TODAY]
    _same_bars(batch.bars, want, [*VALUES, "name", "st"])
    assert (batch.bars["listing_index"] == -1).all()
    assert batch.suspended == sorted(_listed_today(recent) - set(want["symbol"]))
    assert standin.calls("/api/qt/clist/get") == -(-len(_listed_today(recent)) // 100)  # pages of 100
    assert standin.calls("/api/qt/stock/kline/get") == 1  # the index only: no per-stock call for today


def test_fetch_day_when_day_is_past_then_klines_give_the_real_bars_and_previous_closes(
    standin: EastmoneyStandin, recent: pd.DataFrame
) -> None:
    day = date(2022, 1, 12)
    batch = _source(standin).fetch_day(day)
    want = recent[(recent["date"] == day) & recent["symbol"].isin(_listed_today(recent))]
    _same_bars(batch.bars, want, VALUES)
    assert (batch.bars["name"] == "").all()  # a kline's name is today's: the updater uses the stored one


def test_fetch_day_when_dividend_goes_ex_then_previous_close_is_the_ex_rights_reference(
    standin: EastmoneyStandin, recent: pd.DataFrame, actions: list[CorporateAction]
) -> None:
    listed = _listed_today(recent)
    action = next(a for a in actions if a.symbol in listed and a.ex_date < TODAY)
    batch = _source(standin).fetch_day(action.ex_date)
    want = recent[(recent["date"] == action.ex_date) & recent["symbol"].isin(listed)]
    _same_bars(batch.bars, want, VALUES)
    row = want.set_index("symbol").loc[action.symbol]
    raw_before = recent[(recent["symbol"] == action.symbol) & (recent["date"] < action.ex_date)]["close"].iloc[-1]
    assert row["prev_close"] != raw_before  # the kline's own close before is not the exchange's
    expected = {(a.symbol, a.kind, a.cash, a.shares) for a in actions if a.ex_date == action.ex_date}
    assert {(a.symbol, a.kind, a.cash, a.shares) for a in batch.actions} == expected
    assert all(a.source == "akshare:RPT_SHAREBONUS_DET" for a in batch.actions)


def test_fetch_day_when_stock_suspended_then_null_kline_leaves_it_out(
    standin: EastmoneyStandin, recent: pd.DataFrame
) -> None:
    listed = _listed_today(recent)
    days = sorted(set(recent["date"]))
    held = recent.groupby("date")["symbol"].apply(set)
    day, symbol = next((d, s) for d in days[-60:-1] for s in sorted(listed) if s not in held[d] and s in held[days[0]])
    batch = _source(standin).fetch_day(day)
    assert symbol not in set(batch.bars["symbol"])
    secid = ("1." if symbol.endswith(".SH") else "0.") + symbol[:6]
    assert any(s["query"].get("secid") == secid for s in standin.seen)
    assert len(batch.bars) == len(held[day] & listed)


def test_fetch_day_when_server_fails_then_retried_with_backoff(standin: EastmoneyStandin) -> None:
    sleeps = Sleeps()
    standin.script(["500", "drop"])
    batch = _source(standin, sleeps).fetch_day(TODAY)
    assert not batch.bars.empty
    assert len(sleeps.waits) == 2 and 0.5 <= sleeps.waits[0] <= 0.625 and 1.0 <= sleeps.waits[1] <= 1.25


def test_fetch_day_when_eastmoney_keeps_dropping_then_clear_error_after_retries(
    recent: pd.DataFrame,
) -> None:
    sleeps = Sleeps()
    with EastmoneyStandin(bars=recent, calls_per_minute=1) as server:
        source = _source(server, sleeps)
        source.spot()  # the one call the quota allows
        with pytest.raises(VendorUnavailableError, match=r"eastmoney kline.*failed 3 times.*RemoteProtocolError"):
            source.klines("600000", date(2022, 1, 4), TODAY)
    assert len(sleeps.waits) == 2


def test_fetch_day_when_over_calls_per_minute_then_client_paces_its_calls(standin: EastmoneyStandin) -> None:
    sleeps = Sleeps()
    clock = iter(float(i) for i in range(10_000))
    source = _source(standin, sleeps, per_minute=2)
    source.client.limiter.clock = lambda: next(clock)
    source.fetch_day(TODAY)  # the clist page(s), the dividends, the index: 3 calls or more
    assert sleeps.waits[0] == 58.0  # calls at t=0,1; the third (t=2) waits until t=60


def test_sessions_when_index_klines_served_then_its_trading_days(standin: EastmoneyStandin) -> None:
    source = _source(standin)
    sessions = source.sessions(date(2022, 1, 8), date(2022, 1, 14))
    assert sessions == [date(2022, 1, d) for d in (10, 11, 12, 13, 14)]


def test_update_when_akshare_source_then_store_holds_the_real_bars(
    standin: EastmoneyStandin, recent: pd.DataFrame, real_daily: Imported, tmp_path: object
) -> None:
    from pathlib import Path

    store = Path(str(tmp_path)) / "store"
    listed = _listed_today(recent)
    cut = date(2022, 1, 10)
    old = recent[(recent["date"] <= cut) & recent["symbol"].isin(listed)]
    BarStore.write(store, old, real_daily.instruments, {"source": "seed"})
    settings = DataSourceSettings(
        name="akshare",
        eastmoney_spot_url=f"{standin.base_url}/api/qt/clist/get",
        eastmoney_kline_url=f"{standin.base_url}/api/qt/stock/kline/get",
        eastmoney_dividend_url=f"{standin.base_url}/api/data/v1/get",
        calls_per_minute=0,
        indices=("000300.SH",),
    )
    source = open_source("akshare", settings)
    assert source.name == "akshare"
    report = update_store(store, source, since=date(2022, 1, 11), until=TODAY)
    new = [date(2022, 1, d) for d in (11, 12, 13, 14)]
    assert report.admitted == new and report.quarantined == {}
    got = BarStore(store).frame(start=new[0]).sort_values(["date", "symbol"]).reset_index(drop=True)
    want = recent[(recent["date"] >= new[0]) & recent["symbol"].isin(listed)]
    want = want.sort_values(["date", "symbol"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[list(BAR_COLUMNS)], want[list(BAR_COLUMNS)], check_dtype=False)
