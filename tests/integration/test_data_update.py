"""`update_store` from the tushare stand-in, TDX day files and a CSV folder, into a store of the real bars.

The store holds the real A-share bars (../shared/data/ashare) up to a day; the vendor serves the days
after it; the update must publish exactly the real bars (listing_index counted on), quarantine a day with
bad rows with every finding and leave the store as it was, and continue a stopped backfill.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from support.paths import REAL_DATA
from support.tdx_files import day_file_name, write_vipdoc
from support.tushare_standin import TOKEN, TushareStandin, tushare_tables

from alphamoe.data.actions.infer import infer_actions
from alphamoe.data.feeds.files import FilesSource
from alphamoe.data.feeds.pacing import RateLimiter, Retry
from alphamoe.data.feeds.tdx import TdxSource
from alphamoe.data.feeds.tushare import TushareClient
from alphamoe.data.feeds.tushare_market import TushareSource
from alphamoe.data.importer import Imported
from alphamoe.data.universe import index_bars, read_index_csv
from alphamoe.data.update import last_closed_session, read_state, update_store
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, BarStore
from alphamoe.storage import open_store

pytestmark = pytest.mark.realdata
CUT = date(2022, 1, 7)  # the store ends here; the vendor brings 01-10 … 01-14
NEW = [date(2022, 1, d) for d in (10, 11, 12, 13, 14)]


@pytest.fixture(scope="module")
def recent(real_daily: Imported) -> pd.DataFrame:
    return real_daily.bars[real_daily.bars["date"] >= date(2021, 1, 4)].reset_index(drop=True)


@pytest.fixture(scope="module")
def seed_store(recent: pd.DataFrame, real_daily: Imported, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed") / "store"
    old = recent[recent["date"] <= CUT]
    inst = real_daily.instruments[real_daily.instruments["symbol"].isin(set(old["symbol"]))]
    BarStore.write(out, old, inst, {"source": "test seed"})
    return out


@pytest.fixture
def store(seed_store: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(seed_store, tmp_path / "store"))


@pytest.fixture(scope="module")
def tables(recent: pd.DataFrame, real_daily: Imported) -> dict[str, pd.DataFrame]:
    index = read_index_csv(REAL_DATA / "index" / "sh000300.csv")
    return tushare_tables(
        recent,
        real_daily.instruments,
        actions=[a for a in infer_actions(real_daily.bars) if a.ex_date > CUT],
        indices={"000300.SH": index[index["date"] >= date(2021, 1, 4)]},
    )


@pytest.fixture
def vendor(tables: dict[str, pd.DataFrame]) -> Iterator[TushareStandin]:
    with TushareStandin({k: v.copy() for k, v in tables.items()}) as server:
        yield server


def _source(vendor: TushareStandin) -> TushareSource:
    sleep: list[float] = []
    client = TushareClient(
        TOKEN,
        base_url=vendor.base_url,
        limiter=RateLimiter(500, sleep=sleep.append),
        retry=Retry(attempts=2, backoff_s=0.01, sleep=sleep.append),
    )
    return TushareSource(client, indices=("000300.SH",))


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_update_when_vendor_has_new_sessions_then_store_holds_the_real_bars(
    store: Path, vendor: TushareStandin, recent: pd.DataFrame
) -> None:
    report = update_store(store, _source(vendor), until=NEW[-1])
    assert report.admitted == NEW and report.quarantined == {}
    got = BarStore(store).frame(start=NEW[0]).sort_values(["date", "symbol"]).reset_index(drop=True)
    want = recent[recent["date"] >= NEW[0]].sort_values(["date", "symbol"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[list(BAR_COLUMNS)], want[list(BAR_COLUMNS)], check_dtype=False)
    csi300 = index_bars(BarStore(store), "CSI300")
    assert set(NEW) <= set(csi300["date"])
    assert read_state(open_store(store))["done"] == [d.isoformat() for d in NEW]


def test_update_when_no_date_given_then_continues_after_the_stores_last_session(
    store: Path, vendor: TushareStandin
) -> None:
    now = datetime(2022, 1, 12, 14, 59)  # 01-12 is not closed yet: 01-11 is the last closed session
    report = update_store(store, _source(vendor), now=now)
    assert report.target == date(2022, 1, 11) and report.admitted == NEW[:2]
    assert update_store(store, _source(vendor), now=now).days == []  # up to date: nothing fetched


def test_update_when_dividend_goes_ex_then_action_stored_and_day_admitted(
    tmp_path: Path, recent: pd.DataFrame, real_daily: Imported, tables: dict[str, pd.DataFrame]
) -> None:
    action = next(a for a in infer_actions(real_daily.bars) if a.ex_date >= date(2021, 6, 1))
    before = recent[recent["date"] < action.ex_date]
    BarStore.write(tmp_path / "s", before, real_daily.instruments, {"source": "seed"})
    with TushareStandin({k: v.copy() for k, v in tables.items()}) as server:
        server.tables["dividend"] = tushare_tables(recent.iloc[:1], real_daily.instruments, actions=[action])[
            "dividend"
        ]
        report = update_store(tmp_path / "s", _source(server), day=action.ex_date)
    assert report.admitted == [action.ex_date]
    stored = BarStore(tmp_path / "s").actions_on(action.ex_date)
    assert [(a.symbol, a.kind, a.cash, a.shares, a.inferred) for a in stored] == [
        (action.symbol, action.kind, action.cash, action.shares, False)
    ]


def test_update_when_vendor_rows_are_bad_then_day_quarantined_with_every_finding_and_store_unchanged(
    store: Path, vendor: TushareStandin
) -> None:
    daily = vendor.tables["daily"]
    on_day = daily.index[daily["trade_date"] == "20220110"]
    band, minus, dup, missing = on_day[:4]
    daily.loc[band, ["high", "close"]] = daily.loc[band, "pre_close"] * 1.25  # outside the ±10%/20% band
    daily.loc[minus, "vol"] = -0.01  # a vendor's −1 share
    daily.loc[missing, "pre_close"] = None
    vendor.tables["daily"] = pd.concat([daily, daily.loc[[dup]]], ignore_index=True)
    before = _snapshot(store)
    report = update_store(store, _source(vendor), until=NEW[-1])
    assert report.admitted == [] and list(report.quarantined) == [NEW[0]]
    symbols = {row: daily.loc[row, "ts_code"] for row in (band, minus, dup, missing)}
    rules = {(f["symbol"], f["rule"]) for f in report.quarantined[NEW[0]]}
    assert (symbols[band], "band") in rules
    assert (symbols[minus], "negative_volume") in rules
    assert (symbols[dup], "duplicate_day") in rules
    assert (symbols[missing], "missing_prev_close") in rules
    after = _snapshot(store)
    assert {k: v for k, v in after.items() if not k.startswith(("quarantine/", "update/"))} == before
    assert report.days == [NEW[0]]  # the later days wait: none is published over the hole


def test_backfill_when_vendor_stops_midway_then_rerun_continues_where_it_stopped(
    store: Path, vendor: TushareStandin
) -> None:
    daily = vendor.tables["daily"]
    held = daily[daily["trade_date"] >= "20220112"]
    vendor.tables["daily"] = daily[daily["trade_date"] < "20220112"]  # not published yet
    with pytest.raises(DataError, match="no rows for 2022-01-12"):
        update_store(store, _source(vendor), since=NEW[0], until=NEW[-1])
    assert read_state(open_store(store))["done"] == ["2022-01-10", "2022-01-11"]
    vendor.tables["daily"] = pd.concat([vendor.tables["daily"], held], ignore_index=True)
    calls = vendor.calls("daily")
    report = update_store(store, _source(vendor), since=NEW[0], until=NEW[-1])
    assert report.skipped == NEW[:2] and report.admitted == NEW[2:]
    assert vendor.calls("daily") - calls == 3  # the days done are not fetched again
    assert BarStore(store).sessions()[-5:] == NEW


def test_update_from_tdx_files_when_names_absent_then_stored_names_kept(
    store: Path, recent: pd.DataFrame, tmp_path: Path
) -> None:
    write_vipdoc(tmp_path / "tdx", recent[recent["date"] <= NEW[0]])
    report = update_store(store, TdxSource(tmp_path / "tdx"), day=NEW[0])
    assert report.admitted == [NEW[0]]
    got = BarStore(store).frame(start=NEW[0]).set_index("symbol").sort_index()
    want = recent[recent["date"] == NEW[0]].set_index("symbol").sort_index()
    assert (got["name"] == want["name"]).all() and (got["listing_index"] == want["listing_index"]).all()


def test_update_from_tdx_files_when_file_truncated_then_day_quarantined(
    store: Path, recent: pd.DataFrame, tmp_path: Path
) -> None:
    vipdoc = write_vipdoc(tmp_path / "tdx", recent[recent["date"] <= NEW[0]])
    path = vipdoc / day_file_name("600000.SH")
    path.write_bytes(path.read_bytes()[:-7])
    before = _snapshot(store)
    report = update_store(store, TdxSource(vipdoc), day=NEW[0])
    assert report.admitted == [] and [f["rule"] for f in report.quarantined[NEW[0]]] == ["source"]
    assert "sh600000.day" in report.quarantined[NEW[0]][0]["detail"]
    assert {k: v for k, v in _snapshot(store).items() if not k.startswith(("quarantine/", "update/"))} == before


def test_update_from_csv_folder_when_day_present_then_admitted(
    store: Path, real_daily_dir: Path, recent: pd.DataFrame, tmp_path: Path
) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    held = sorted(set(recent[recent["date"] == NEW[0]]["symbol"]))
    for symbol in held:
        code, market = symbol.split(".")
        shutil.copy(real_daily_dir / f"{market.lower()}{code}.csv", folder)
    report = update_store(store, FilesSource("ganlei", folder), day=NEW[0])
    assert report.admitted == [NEW[0]]
    assert len(BarStore(store).frame(start=NEW[0])) == len(held)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2022, 1, 14, 15, 0), date(2022, 1, 14)),  # Friday, at the close
        (datetime(2022, 1, 14, 14, 59), date(2022, 1, 13)),  # before the close: the day before
        (datetime(2022, 1, 16, 10, 0), date(2022, 1, 14)),  # Sunday
        (datetime(2021, 10, 4, 20, 0), date(2021, 9, 30)),  # National Day holiday
        (datetime.fromisoformat("2022-01-14T07:30:00+00:00"), date(2022, 1, 14)),  # 15:30 in Shanghai
    ],
)
def test_last_closed_session_when_time_given_then_shanghai_close_decides(now: datetime, expected: date) -> None:
    assert last_closed_session(now) == expected
