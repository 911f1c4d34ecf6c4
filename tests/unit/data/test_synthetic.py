from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphamoe.data.names import is_delisting_name, is_st_name
from alphamoe.data.synthetic import GENERATOR, generate_market, write_market
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, INSTRUMENT_SCHEMA, BarStore
from alphamoe.market.boards import board_of
from alphamoe.market.calendar import TradingCalendar
from alphamoe.market.limits import limit_prices
from alphamoe.market.rules import rulebook
from alphamoe.market.ticks import on_tick

MARKET = {"symbols": 400, "start": date(2024, 1, 2), "end": date(2024, 3, 29), "seed": 5}


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_market(**MARKET)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bars(market: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Bars by (symbol, date) with each stock's previous bar close alongside."""
    frame = market[0].sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    frame["last_close"] = frame.groupby("symbol")["close"].shift()
    return frame


@pytest.fixture(scope="module")
def instruments(market: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return market[1]


def _locked(frame: pd.DataFrame) -> pd.Series:
    return (frame["open"] == frame["high"]) & (frame["high"] == frame["low"]) & (frame["low"] == frame["close"])


def _band(row: pd.Series) -> tuple[Decimal, Decimal]:
    band = limit_prices(
        row["symbol"],
        Decimal(str(row["prev_close"])),
        row["date"],
        st=row["st"],
        listing_day_index=row["listing_index"],
    )
    return band.down, band.up


def test_generate_market_when_same_arguments_then_identical_frames() -> None:
    small = {"symbols": 60, "start": date(2024, 5, 6), "end": date(2024, 6, 28), "seed": 3}
    first, again = generate_market(**small), generate_market(**small)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])
    other = generate_market(**{**small, "seed": 4})  # type: ignore[arg-type]
    assert not first[0]["close"].equals(other[0]["close"])


def test_generate_market_when_generated_then_frames_have_the_store_schema(
    market: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    bars, instruments = market
    assert tuple(bars.columns) == BAR_COLUMNS
    assert list(instruments.columns) == [f.name for f in INSTRUMENT_SCHEMA]
    assert bars["listing_index"].dtype == np.int32
    assert bars["st"].dtype == bool
    assert all(bars[c].dtype == np.float64 for c in ("open", "high", "low", "close", "prev_close", "volume", "amount"))
    ordered = bars.sort_values(["date", "symbol"], kind="stable")
    assert ordered.index.equals(bars.index)
    sessions = TradingCalendar().sessions(MARKET["start"], MARKET["end"])  # type: ignore[arg-type]
    assert sorted(bars["date"].unique()) == sessions
    assert not bars.duplicated(["date", "symbol"]).any()


def test_generate_market_when_generated_then_every_board_and_prefix_in_proportion(instruments: pd.DataFrame) -> None:
    symbols = instruments["symbol"]
    assert symbols.is_unique
    assert len(symbols) == MARKET["symbols"]
    assert symbols.str.fullmatch(r"\d{6}\.(SH|SZ|BJ)").all()
    assert [board_of(s).value for s in symbols] == instruments["board"].tolist()
    share = instruments["board"].value_counts(normalize=True)
    assert share["main"] == pytest.approx(0.59, abs=0.03)
    assert share["chinext"] == pytest.approx(0.255, abs=0.03)
    assert share["star"] == pytest.approx(0.105, abs=0.03)
    assert share["bse"] == pytest.approx(0.055, abs=0.02)
    prefixes = {re.match(r"^(43|83|87|92|\d{3})", s).group(1) for s in symbols}  # type: ignore[union-attr]
    assert {"600", "601", "603", "688", "000", "002", "300", "301", "83", "87"} <= prefixes
    assert instruments["industry"].nunique() >= 20


def test_generate_market_when_sampled_then_every_price_on_tick_and_inside_limit_prices(bars: pd.DataFrame) -> None:
    assert len(bars) >= 20_000
    outside = []
    for row in bars.itertuples():
        band = limit_prices(
            row.symbol, Decimal(str(row.prev_close)), row.date, st=row.st, listing_day_index=row.listing_index
        )
        for price in (Decimal(str(p)) for p in (row.open, row.high, row.low, row.close)):
            if not (on_tick(price) and band.contains(price)):
                outside.append((row.symbol, row.date, price, band))
    assert outside == []
    assert bars["prev_close"].map(lambda p: on_tick(Decimal(str(p)))).all()


def test_generate_market_when_generated_then_ohlc_consistent_and_volume_in_lots(bars: pd.DataFrame) -> None:
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] > 0).all()
    lot_boards = bars["symbol"].map(lambda s: board_of(s).value in ("main", "chinext"))
    assert (bars.loc[lot_boards, "volume"] % 100 == 0).all()
    assert (bars["volume"] % 100 == 0).mean() > 0.8
    vwap = bars["amount"] / bars["volume"]
    assert ((vwap >= bars["low"] - 0.01) & (vwap <= bars["high"] + 0.01)).all()


def test_generate_market_when_generated_then_limit_locked_days_up_and_down_occur(bars: pd.DataFrame) -> None:
    locked = bars[_locked(bars) & (bars["listing_index"] >= 5)]
    bands = locked.apply(_band, axis=1, result_type="expand")
    at_up = locked["close"].map(lambda c: Decimal(str(c))) == bands[1]
    at_down = locked["close"].map(lambda c: Decimal(str(c))) == bands[0]
    assert at_up.sum() >= 10
    assert at_down.sum() >= 10


def test_generate_market_when_generated_then_st_names_flags_and_changes_agree(bars: pd.DataFrame) -> None:
    assert (bars["name"].map(is_st_name) == bars["st"]).all()
    assert bars.loc[bars["st"], "name"].str.match(r"^\*?ST").all()
    share = bars.groupby("date")["st"].mean()
    assert share.between(0.025, 0.045).all()
    flags = bars.groupby("symbol")["st"].agg(["first", "last"])
    assert ((~flags["first"]) & flags["last"]).any()  # became ST in the window
    regained = bars.groupby("symbol").filter(lambda g: g["st"].iloc[0] and not g["st"].iloc[-1])
    assert not regained.empty  # lost it (the 退 period also drops the ST label)


def test_generate_market_when_generated_then_suspensions_leave_gaps(bars: pd.DataFrame) -> None:
    sessions = {d: i for i, d in enumerate(TradingCalendar().sessions(MARKET["start"], MARKET["end"]))}  # type: ignore[arg-type]
    day = bars["date"].map(sessions)
    gaps = day.groupby(bars["symbol"]).diff()
    assert (gaps > 1).sum() >= 3
    resumed = bars[gaps > 1]
    assert (resumed["prev_close"] == resumed["last_close"]).all()  # the reference is the last close


def test_generate_market_when_new_listing_then_n_then_c_names_and_unlimited_moves(
    bars: pd.DataFrame, instruments: pd.DataFrame
) -> None:
    first_days = bars[bars["listing_index"] == 0]
    assert len(first_days) >= 3
    assert first_days["name"].str.startswith("N").all()
    assert set(first_days["symbol"].map(lambda s: board_of(s).value)) >= {"main", "chinext", "bse"}
    listed = instruments.set_index("symbol").loc[first_days["symbol"], "list_date"]
    assert (listed.to_numpy() == first_days["date"].to_numpy()).all()
    assert (first_days["close"] / first_days["prev_close"] > 1.5).any()  # far beyond any band
    registered = bars["symbol"].isin(first_days["symbol"]) & bars["listing_index"].between(1, 4)
    early = bars[registered & bars["symbol"].map(lambda s: board_of(s).value != "bse")]
    assert len(early) >= 4
    assert early["name"].str.startswith("C").all()
    later = bars[bars["symbol"].isin(first_days["symbol"]) & (bars["listing_index"] >= 5)]
    assert not later["name"].str.match(r"^[NC]").any()


def test_generate_market_when_delisted_then_named_and_no_bars_after_delist_date(
    bars: pd.DataFrame, instruments: pd.DataFrame
) -> None:
    delisted = instruments.dropna(subset=["delist_date"])
    assert len(delisted) >= 1
    for symbol, last_day in zip(delisted["symbol"], delisted["delist_date"], strict=True):
        own = bars[bars["symbol"] == symbol]
        assert own["date"].max() == last_day
        assert is_delisting_name(own["name"].iloc[-1])
        assert own["name"].iloc[-1].endswith("退")
    assert bars.loc[bars["name"].map(is_delisting_name), "symbol"].isin(delisted["symbol"]).all()


def test_generate_market_when_ex_rights_day_then_prev_close_below_last_close(bars: pd.DataFrame) -> None:
    ex = bars["name"].str.match(r"^(XD|XR|DR)")
    kinds = bars.loc[ex, "name"].str[:2].value_counts()
    assert {"XD", "XR", "DR"} <= set(kinds.index)
    assert (bars.loc[ex, "prev_close"] < bars.loc[ex, "last_close"]).all()
    plain = ~ex & bars["last_close"].notna()
    assert (bars.loc[plain, "prev_close"] == bars.loc[plain, "last_close"]).all()
    bonus = bars[bars["name"].str.match(r"^(XR|DR)")]
    assert (bonus["prev_close"] / bonus["last_close"] < 0.9).all()  # bonus shares: a big reference cut


def test_generate_market_when_fewer_than_ten_symbols_or_no_session_then_data_error() -> None:
    with pytest.raises(DataError, match="at least 10 symbols"):
        generate_market(5, date(2024, 1, 2), date(2024, 1, 31), 1)
    with pytest.raises(DataError, match="no A-share sessions"):
        generate_market(50, date(2024, 10, 1), date(2024, 10, 7), 1)


def test_write_market_when_written_then_store_reads_it_with_meta(tmp_path: Path) -> None:
    store = write_market(tmp_path / "m", symbols=40, start=date(2024, 1, 2), end=date(2024, 2, 29), seed=9)
    meta = store.meta()
    assert meta["generator"] == GENERATOR
    assert (meta["seed"], meta["symbols"], meta["start"], meta["end"]) == (9, 40, "2024-01-02", "2024-02-29")
    again = BarStore(tmp_path / "m")
    assert again.sessions() == TradingCalendar().sessions(date(2024, 1, 2), date(2024, 2, 29))
    assert set(again.instruments()["industry"].dropna())
    assert len(again.instruments()) == 40
    panel = again.panel(date(2024, 2, 29), 20)
    assert len(panel.symbols) >= 35


def test_generate_market_when_rule_book_dates_then_st_band_follows_them() -> None:
    # the ST band on the main board is 5% before 2025-07-07 and 10% from then on: the generator reads the
    # rule book for it, so ST closes stay within ±5% in the first half of 2025 only
    assert rulebook().limit_pct(board_of("600000.SH"), date(2025, 7, 4), st=True) == Decimal("0.05")
    assert rulebook().limit_pct(board_of("600000.SH"), date(2025, 7, 7), st=True) == Decimal("0.10")
    bars, _ = generate_market(300, date(2025, 6, 2), date(2025, 7, 31), 2)
    st_main = bars[bars["st"] & bars["symbol"].map(lambda s: board_of(s).value == "main")]
    move = (st_main["close"] / st_main["prev_close"] - 1).abs()
    before = st_main["date"] < date(2025, 7, 7)
    assert (move[before] <= 0.0505).all()
    assert (move[~before] > 0.051).any()
