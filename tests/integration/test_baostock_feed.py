"""The baostock source (our TCP client) against the baostock stand-in (support.baostock_standin) on 127.0.0.1.

The stand-in serves the real A-share files (../shared/data/ashare) in baostock's protocol and fields; the
source must bring back the imported bars exactly (preclose, isST, the day's name), list suspended stocks,
log in again after a dropped connection or a lost session, pace its calls and stop on a refusal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.baostock_standin import BaostockStandin
from support.paths import REAL_DATA

from alphamoe.data.feeds.baostock import BaostockSource
from alphamoe.data.feeds.baostock_client import BaostockClient
from alphamoe.data.feeds.config import DataSourceSettings
from alphamoe.data.feeds.pacing import RateLimiter, Retry, VendorRefusedError, VendorUnavailableError
from alphamoe.data.importer import Imported
from alphamoe.data.universe import read_index_csv
from alphamoe.data.update import open_source, update_store
from alphamoe.market.bars import BAR_COLUMNS, BarStore

pytestmark = pytest.mark.realdata
COLUMNS = [c for c in BAR_COLUMNS if c != "listing_index"]


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
def server(recent: pd.DataFrame) -> Iterator[BaostockStandin]:
    index = read_index_csv(REAL_DATA / "index" / "sh000300.csv")
    with BaostockStandin(bars=recent, indices={"000300.SH": index[index["date"] >= date(2021, 1, 4)]}) as standin:
        yield standin


@pytest.fixture
def standin(server: BaostockStandin) -> BaostockStandin:
    server.seen.clear()
    server.calls_per_minute = 0
    return server


def _client(
    standin: BaostockStandin, sleeps: Sleeps, *, password: str = "123456", per_minute: int = 0
) -> BaostockClient:
    host, port = standin.address
    return BaostockClient(
        host,
        port,
        password=password,
        limiter=RateLimiter(per_minute, sleep=sleeps),
        retry=Retry(attempts=3, backoff_s=0.5, sleep=sleeps),
    )


def _same_bars(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got.sort_values("symbol").reset_index(drop=True)
    want = want.sort_values("symbol").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[COLUMNS], want[COLUMNS], check_dtype=False, rtol=1e-9)


def _suspended_day(recent: pd.DataFrame) -> tuple[date, str]:
    # a (day, stock) the files hold no bar for while the stock was listed on both sides of it
    days = sorted(set(recent["date"]))
    held = recent.groupby("date")["symbol"].apply(set)
    return next((d, s) for i, d in enumerate(days[1:-1], 1) for s in sorted(held[days[i - 1]] & held[days[i + 1]])
                if s not in held[d])  # fmt: skip


def test_fetch_day_when_whole_market_call_then_bars_are_the_real_ones(
    standin: BaostockStandin, recent: pd.DataFrame
) -> None:
    day = date(2022, 1, 12)
    batch = BaostockSource(_client(standin, Sleeps()), indices=("000300.SH",)).fetch_day(day)
    _same_bars(batch.bars, recent[recent["date"] == day])
    assert (batch.bars["listing_index"] == -1).all()
    assert standin.calls("query_daily_history_k_AStock") == 1 and standin.calls("query_history_k_data_plus") == 1
    index = read_index_csv(REAL_DATA / "index" / "sh000300.csv").set_index("date").loc[day]
    assert batch.index_bars is not None and batch.index_bars.iloc[0]["close"] == pytest.approx(index["close"])


def test_fetch_day_when_per_stock_calls_then_the_same_bars_one_call_per_stock(
    standin: BaostockStandin, recent: pd.DataFrame
) -> None:
    day = date(2022, 1, 12)
    batch = BaostockSource(_client(standin, Sleeps()), indices=(), per_stock=True).fetch_day(day)
    _same_bars(batch.bars, recent[recent["date"] == day])
    assert standin.calls("query_history_k_data_plus") == len(batch.bars) + len(batch.suspended)


def test_fetch_day_when_stock_suspended_then_no_bar_and_listed_as_suspended(
    standin: BaostockStandin, recent: pd.DataFrame
) -> None:
    day, symbol = _suspended_day(recent)
    batch = BaostockSource(_client(standin, Sleeps()), indices=()).fetch_day(day)
    assert symbol in batch.suspended and symbol not in set(batch.bars["symbol"])
    _same_bars(batch.bars, recent[recent["date"] == day])


def test_fetch_day_when_st_stock_then_name_and_flag_are_the_days_own(
    standin: BaostockStandin, recent: pd.DataFrame
) -> None:
    st_row = recent[recent["st"] & (recent["date"] >= date(2021, 6, 1))].iloc[0]
    batch = BaostockSource(_client(standin, Sleeps()), indices=()).fetch_day(st_row["date"])
    row = batch.bars.set_index("symbol").loc[st_row["symbol"]]
    assert row["name"] == st_row["name"] and bool(row["st"])


def test_sessions_when_trade_dates_served_then_open_days_only(standin: BaostockStandin) -> None:
    source = BaostockSource(_client(standin, Sleeps()))
    assert source.sessions(date(2022, 1, 8), date(2022, 1, 14)) == [date(2022, 1, d) for d in (10, 11, 12, 13, 14)]


def test_query_when_connection_drops_or_session_lost_then_logs_in_again_and_succeeds(
    standin: BaostockStandin,
) -> None:
    sleeps = Sleeps()
    source = BaostockSource(_client(standin, sleeps), indices=())
    source.sessions(date(2022, 1, 10), date(2022, 1, 10))  # logged in
    standin.script(["drop", "ok", "nologin"])  # the query dropped; login again fine, then the session is lost
    assert source.sessions(date(2022, 1, 10), date(2022, 1, 14)) == [date(2022, 1, d) for d in (10, 11, 12, 13, 14)]
    assert standin.calls("login") == 3  # once, then after the drop and after the lost session
    assert len(sleeps.waits) == 2 and 0.5 <= sleeps.waits[0] <= 0.625 and 1.0 <= sleeps.waits[1] <= 1.25


def test_query_when_server_reports_a_network_fault_then_retried_on_the_same_session(
    standin: BaostockStandin,
) -> None:
    sleeps = Sleeps()
    source = BaostockSource(_client(standin, sleeps), indices=())
    source.sessions(date(2022, 1, 10), date(2022, 1, 10))
    standin.script(["network"])  # 10002007 网络接收错误
    assert source.sessions(date(2022, 1, 10), date(2022, 1, 11)) == [date(2022, 1, 10), date(2022, 1, 11)]
    assert standin.calls("login") == 1 and len(sleeps.waits) == 1


def test_query_when_server_keeps_dropping_then_clear_error_after_retries(standin: BaostockStandin) -> None:
    sleeps = Sleeps()
    standin.script(["drop"] * 3)
    with pytest.raises(VendorUnavailableError, match=r"baostock query_trade_dates.*failed 3 times"):
        BaostockSource(_client(standin, sleeps)).sessions(date(2022, 1, 10), date(2022, 1, 14))
    assert len(sleeps.waits) == 2


def test_login_when_password_wrong_then_refused_at_once(standin: BaostockStandin) -> None:
    with pytest.raises(VendorRefusedError, match="10001002"):
        BaostockSource(_client(standin, Sleeps(), password="wrong")).sessions(date(2022, 1, 10), date(2022, 1, 14))
    assert standin.calls("login") == 1


def test_query_when_over_calls_per_minute_then_client_paces_its_calls(standin: BaostockStandin) -> None:
    sleeps = Sleeps()
    clock = iter(float(i) for i in range(1000))
    client = _client(standin, sleeps, per_minute=3)
    client.limiter.clock = lambda: next(clock)
    source = BaostockSource(client, indices=())
    for _ in range(4):
        source.sessions(date(2022, 1, 14), date(2022, 1, 14))
    assert sleeps.waits == [57.0]  # calls at t=0,1,2; the fourth (t=3) waits until t=60


def test_update_when_baostock_source_then_store_holds_the_real_bars(
    standin: BaostockStandin, recent: pd.DataFrame, real_daily: Imported, tmp_path: Path
) -> None:
    cut, new = date(2022, 1, 10), [date(2022, 1, d) for d in (11, 12, 13, 14)]
    BarStore.write(tmp_path / "store", recent[recent["date"] <= cut], real_daily.instruments, {"source": "seed"})
    host, port = standin.address
    settings = DataSourceSettings(
        name="baostock", baostock_host=host, baostock_port=port, calls_per_minute=0, indices=("000300.SH",)
    )
    report = update_store(tmp_path / "store", open_source("baostock", settings), since=new[0], until=new[-1])
    assert report.admitted == new and report.quarantined == {}
    got = BarStore(tmp_path / "store").frame(start=new[0]).sort_values(["date", "symbol"]).reset_index(drop=True)
    want = recent[recent["date"] >= new[0]].sort_values(["date", "symbol"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[list(BAR_COLUMNS)], want[list(BAR_COLUMNS)], check_dtype=False)
