"""A long-running reader sees the day the evening update appends: `BarStore.refresh` (one small read of meta.json,
which every write ends with) and `MarketData.open_day`, which a function calls with each event's day.

Before: a function's store cached its sessions at start, so after the evening update of D the next morning's
scan still found no bars of D ("no bars for …") for as long as the process lived."""

from __future__ import annotations

from pathlib import Path

from support.store_vendor import season_stores

from alphamoe.data.store_write import append_bars
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.stages.market_data import MarketData


def test_refresh_when_a_day_was_appended_then_the_reader_sees_it_once(market_dir: Path, tmp_path: Path) -> None:
    day = BarStore(market_dir).sessions()[-1]
    target = season_stores(market_dir, tmp_path / "store", day)
    reader = BarStore(target)
    reader.refresh()
    assert reader.sessions()[-1] < day and reader.day(day) == {}
    append_bars(target, BarStore(market_dir).frame(day, day), source="test")
    assert day not in reader.sessions()  # cached: what the process saw at start
    assert reader.refresh() is True
    assert reader.sessions()[-1] == day and len(reader.day(day)) == len(BarStore(market_dir).day(day))
    assert reader.refresh() is False  # nothing written since: nothing re-read


def test_market_data_when_store_updated_overnight_then_next_day_decides_on_it(market_dir: Path, tmp_path: Path) -> None:
    sessions = BarStore(market_dir).sessions()
    evening, morning = sessions[-2], sessions[-1]
    target = season_stores(market_dir, tmp_path / "store", evening)
    data = MarketData(BarStore(target))  # a function process, started before the season
    append_bars(target, BarStore(market_dir).frame(evening, morning), source="test")  # the evening update(s)
    assert data.require_trading_day(morning) == evening
    assert set(data.reference(morning)) == set(BarStore(market_dir).day(morning))
