"""Pre-open facts read from a bar store: industry, delisting period (退 in the day's name), locked limit-up."""

from __future__ import annotations

from pathlib import Path

from alphamoe.data.names import is_delisting_name
from alphamoe.market.bars import BarStore
from alphamoe.market.reference import pre_open_reference
from alphamoe.market.ticks import to_price
from alphamoe.risk.facts import FactsSource, locked_at_limit_up


def test_locked_at_limit_up_when_one_price_board_at_limit_then_true() -> None:
    up = to_price(11.0)
    assert locked_at_limit_up(11.0, 11.0, 11.0, 11.0, up)
    assert not locked_at_limit_up(10.5, 11.0, 10.4, 11.0, up)  # opened lower, traded: the board was open
    assert not locked_at_limit_up(10.9, 10.9, 10.9, 10.9, up)  # one price, but below the limit


def test_facts_source_when_read_from_synthetic_market_then_matches_bars_of_the_day_and_the_day_before(
    market_dir: Path,
) -> None:
    store = BarStore(market_dir)
    source = FactsSource(store)
    sessions = store.sessions()
    industries = source.industries()
    assert len(industries) > 100 and all(isinstance(v, str) and v for v in industries.values())
    seen_locked = 0
    for day, previous in zip(sessions[-12:], sessions[-13:-1], strict=True):
        facts = source.facts(day)
        today = store.day(day)
        assert facts.delisting == {s for s, bar in today.items() if is_delisting_name(bar.name)}
        bands = pre_open_reference(store, previous)
        for symbol in facts.locked_limit_up:
            bar = store.day(previous)[symbol]
            assert bar.high == bar.low == bar.close and to_price(bar.close) == bands[symbol].band.up
        seen_locked += len(facts.locked_limit_up)
    assert seen_locked > 0  # the synthetic market seals some limit-up boards
    frame = store.instruments()
    delisted = frame[frame["delist_date"].notna()]
    assert len(delisted) > 0
    symbol, last_day = str(delisted["symbol"].iloc[0]), delisted["delist_date"].iloc[0]
    assert symbol in source.facts(last_day).delisting  # its last session is inside the 退 period
