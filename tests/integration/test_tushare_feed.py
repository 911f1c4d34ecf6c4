"""Our tushare pro client and MarketSource over real HTTP against the tushare stand-in (support.tushare_standin).

The stand-in serves the real A-share files (../shared/data/ashare) in tushare's columns and units, so the
source must bring back the imported bars exactly: lots → shares, 千元 → CNY, the day's printed name and ST
flag, the exchange's previous close, listings, the dividends of the day and the benchmark index.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from support.paths import REAL_DATA
from support.tushare_standin import TOKEN, TushareStandin, tushare_tables

from alphamoe.data.actions.infer import infer_actions
from alphamoe.data.feeds.pacing import RateLimiter, Retry, VendorRefusedError, VendorUnavailableError
from alphamoe.data.feeds.tushare import TushareClient
from alphamoe.data.feeds.tushare_market import TushareSource
from alphamoe.data.universe import read_index_csv
from alphamoe.market.bars import BAR_COLUMNS

pytestmark = pytest.mark.realdata
DAYS = [date(2022, 1, 12), date(2022, 1, 13), date(2022, 1, 14)]


class Sleeps:
    """A sleep that records its waits instead of waiting (the pacing is checked, the test stays fast)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def real_tables(real_daily: object) -> dict[str, pd.DataFrame]:
    bars = real_daily.bars  # type: ignore[attr-defined]
    recent = bars[bars["date"] >= date(2021, 1, 1)].reset_index(drop=True)
    index = read_index_csv(REAL_DATA / "index" / "sh000300.csv")
    return tushare_tables(
        recent,
        real_daily.instruments,  # type: ignore[attr-defined]
        actions=infer_actions(bars),
        indices={"000300.SH": index[index["date"] >= date(2021, 1, 1)]},
    )


@pytest.fixture
def standin(real_tables: dict[str, pd.DataFrame]) -> Iterator[TushareStandin]:
    with TushareStandin(dict(real_tables)) as server:
        yield server


def _client(standin: TushareStandin, sleeps: Sleeps, *, token: str = TOKEN, per_minute: int = 0) -> TushareClient:
    return TushareClient(
        token,
        base_url=standin.base_url,
        limiter=RateLimiter(per_minute, sleep=sleeps),
        retry=Retry(attempts=3, backoff_s=0.5, sleep=sleeps),
    )


def test_query_when_endpoint_answers_then_frame_has_the_fields_asked(standin: TushareStandin) -> None:
    client = _client(standin, Sleeps())
    frame = client.query("daily", {"trade_date": "20220114"}, ["ts_code", "trade_date", "close", "vol"])
    assert list(frame.columns) == ["ts_code", "trade_date", "close", "vol"]
    assert set(frame["trade_date"]) == {"20220114"}
    assert len(frame) == 100  # the real files' stocks that traded on 2022-01-14
    assert standin.seen[-1] == {
        "api_name": "daily",
        "params": {"trade_date": "20220114"},
        "fields": "ts_code,trade_date,close,vol",
    }


def test_query_when_token_wrong_then_refused_with_tushare_message(standin: TushareStandin) -> None:
    with pytest.raises(VendorRefusedError, match=r"-2001.*token"):
        _client(standin, Sleeps(), token="wrong").query("daily", {"trade_date": "20220114"})
    assert standin.calls() == 1  # not retried: retrying cannot fix a token


def test_query_when_points_do_not_unlock_endpoint_then_refused_at_once(real_tables: dict[str, pd.DataFrame]) -> None:
    with TushareStandin(dict(real_tables), locked=frozenset({"dividend"})) as server:
        with pytest.raises(VendorRefusedError, match="没有访问该接口的权限"):
            _client(server, Sleeps()).query("dividend", {"ex_date": "20220114"})
        assert server.calls() == 1


def test_query_when_rate_limited_then_waits_the_minute_and_succeeds(standin: TushareStandin) -> None:
    sleeps = Sleeps()
    standin.script(["ratelimit", "ratelimit"])
    frame = _client(standin, sleeps).query("trade_cal", {"start_date": "20220110", "end_date": "20220114"})
    assert len(frame) == 5
    assert sleeps.waits == [60.0, 60.0]  # the ban is waited out (tushare's window), not failed
    assert standin.calls() == 3


def test_query_when_server_fails_every_time_then_clear_error_after_retries(standin: TushareStandin) -> None:
    sleeps = Sleeps()
    standin.script(["500", "drop", "500"])
    with pytest.raises(VendorUnavailableError, match=r"tushare daily.*failed 3 times.*HTTP 500"):
        _client(standin, sleeps).query("daily", {"trade_date": "20220114"})
    assert len(sleeps.waits) == 2
    assert 0.5 <= sleeps.waits[0] <= 0.625 and 1.0 <= sleeps.waits[1] <= 1.25  # backoff doubles, jitter ≤ 25%


def test_query_when_over_calls_per_minute_then_client_paces_before_vendor_refuses(
    real_tables: dict[str, pd.DataFrame],
) -> None:
    sleeps = Sleeps()
    clock = iter(float(i) for i in range(1000))
    with TushareStandin(dict(real_tables)) as server:
        client = _client(server, sleeps, per_minute=3)
        client.limiter.clock = lambda: next(clock)
        for _ in range(4):
            client.query("trade_cal", {"start_date": "20220114", "end_date": "20220114"})
    assert sleeps.waits == [57.0]  # calls at t=0,1,2; the fourth (t=3) waits until t=60


def test_fetch_day_when_real_market_served_then_bars_equal_the_imported_ones(
    standin: TushareStandin, real_daily: object
) -> None:
    source = TushareSource(_client(standin, Sleeps()), indices=("000300.SH",))
    expected = real_daily.bars  # type: ignore[attr-defined]
    for day in DAYS:
        batch = source.fetch_day(day)
        want = expected[expected["date"] == day].sort_values("symbol").reset_index(drop=True)
        got = batch.bars.sort_values("symbol").reset_index(drop=True)
        columns = [c for c in BAR_COLUMNS if c != "listing_index"]
        pd.testing.assert_frame_equal(got[columns], want[columns], check_dtype=False, rtol=1e-9)
        assert (batch.bars["listing_index"] == -1).all()  # numbered by the updater against the store


def test_fetch_day_when_stock_is_st_then_name_and_flag_are_the_days_own(
    standin: TushareStandin, real_daily: object
) -> None:
    bars = real_daily.bars  # type: ignore[attr-defined]
    st_day = bars[(bars["date"] >= date(2021, 6, 1)) & bars["st"]].iloc[0]
    batch = TushareSource(_client(standin, Sleeps()), indices=()).fetch_day(st_day["date"])
    row = batch.bars.set_index("symbol").loc[st_day["symbol"]]
    assert row["name"] == st_day["name"] and bool(row["st"])


def test_fetch_day_when_dividend_goes_ex_then_actions_and_index_come_with_it(
    standin: TushareStandin, real_daily: object
) -> None:
    inferred = [a for a in infer_actions(real_daily.bars) if a.ex_date >= date(2021, 1, 1)]  # type: ignore[attr-defined]
    day = inferred[0].ex_date
    batch = TushareSource(_client(standin, Sleeps()), indices=("000300.SH",)).fetch_day(day)
    want = {(a.symbol, a.kind, a.cash, a.shares) for a in inferred if a.ex_date == day}
    assert {(a.symbol, a.kind, a.cash, a.shares) for a in batch.actions} == want
    assert all(a.source == "tushare:dividend" and not a.inferred for a in batch.actions)
    index = read_index_csv(REAL_DATA / "index" / "sh000300.csv").set_index("date").loc[day]
    assert batch.index_bars is not None
    got = batch.index_bars.iloc[0]
    assert (got["code"], got["close"]) == ("000300.SH", index["close"])
    assert got["volume"] == pytest.approx(index["volume"]) and got["amount"] == pytest.approx(index["amount"])


def test_sessions_when_trade_cal_served_then_open_days_only(standin: TushareStandin) -> None:
    source = TushareSource(_client(standin, Sleeps()))
    assert source.sessions(date(2022, 1, 8), date(2022, 1, 14)) == [date(2022, 1, d) for d in (10, 11, 12, 13, 14)]


def test_instruments_when_stock_delisted_then_delist_date_kept(standin: TushareStandin, real_daily: object) -> None:
    inst = real_daily.instruments  # type: ignore[attr-defined]
    batch = TushareSource(_client(standin, Sleeps()), indices=()).fetch_day(DAYS[-1])
    assert batch.instruments is not None
    got = batch.instruments.set_index("symbol")
    gone = inst[inst["delist_date"].notna()].iloc[0]
    assert got.loc[gone["symbol"], "delist_date"] == gone["delist_date"]
    assert len(got) == len(inst)


def test_query_all_when_table_longer_than_a_page_then_pages_until_a_short_one(standin: TushareStandin) -> None:
    client = _client(standin, Sleeps())
    whole = client.query("namechange", {}, ["ts_code", "name", "start_date"])
    paged = client.query_all("namechange", {}, ["ts_code", "name", "start_date"], page=40)
    pd.testing.assert_frame_equal(paged, whole)
    assert [s["params"]["offset"] for s in standin.seen[1:]] == list(range(0, len(whole) + 1, 40))
