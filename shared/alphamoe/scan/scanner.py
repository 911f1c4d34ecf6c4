"""The day's scan: run a strategy on bars up to D−1 and turn the last row's entries into signal events.

Point in time (DESIGN.md §1): the panel ends at the previous session D−1 and `reference` holds only D's
pre-open facts (prev_close, ST, listing day, band), so no price of D reaches a decision of D.
A stock of the universe (panel ∪ reference) is excluded, first reason wins, when it is
  suspended        not trading on D (no reference data)
  st               under risk warning on D
  new_listing      fewer than `min_listing_days` sessions since listing on D
  no_history       no bar on D−1 to decide on (not in the panel, or suspended on D−1)
  limit_up_locked  closed at limit-up on D−1 on a one-price board (high == low): sealed, not buyable
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from alphamoe.events.payloads import ScanCompleted, SignalGenerated
from alphamoe.market.bars import BoolArray, Panel
from alphamoe.market.boards import board_of
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import to_price
from alphamoe.strategy.base import Strategy, StrategySignals
from alphamoe.strategy.stats import KellyStats, strategy_stats

EXCLUSION_REASONS = ("suspended", "st", "new_listing", "no_history", "limit_up_locked")


@dataclass(frozen=True)
class ScanResult:
    """The scan's events: one SignalGenerated per candidate (best first) and the ScanCompleted summary."""

    signals: tuple[SignalGenerated, ...]
    completed: ScanCompleted


def scan_day(
    panel: Panel,
    day: date,
    reference: Mapping[str, ReferenceData],
    strategy: Strategy,
    *,
    max_signals: int = 200,
    min_listing_days: int = 60,
) -> ScanResult:
    """Return the signals of trading day `day` from `panel` (bars up to D−1) and D's pre-open reference.

    Signals are the last row's entries among eligible stocks, by score descending then symbol, at most
    `max_signals`. Non-finite feature values are left out (events carry finite floats only), so an expert
    that needs one abstains instead of judging a made-up 0.0.
    """
    if panel.last_day >= day:
        raise ValueError(
            f"panel ends {panel.last_day.isoformat()}, not before scan day {day.isoformat()}: "
            "decisions of day D may see bars up to D−1 only (DESIGN.md §1); pass store.panel(until=D−1, …)"
        )
    if max_signals < 0:
        raise ValueError(f"max_signals must be >= 0, was {max_signals}")
    signals = strategy.signals(panel)
    columns = {symbol: i for i, symbol in enumerate(panel.symbols)}
    universe = sorted(set(columns) | set(reference))
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    traded = panel.traded[-1]
    with np.errstate(invalid="ignore"):
        one_price = np.abs(panel.high[-1] - panel.low[-1]) < 0.005  # high == low on the 0.01 tick
    picks: list[tuple[float, str, int]] = []
    for symbol in universe:
        reason = _exclusion(
            panel, columns.get(symbol), reference.get(symbol), min_listing_days, traded=traded, one_price=one_price
        )
        if reason is not None:
            excluded[reason] += 1
            continue
        i = columns[symbol]
        score = float(signals.score[-1, i])
        if signals.entries[-1, i] and math.isfinite(score):
            picks.append((-score, symbol, i))
    picks = sorted(picks)[:max_signals]
    events: tuple[SignalGenerated, ...] = ()
    if picks:  # the VectorBT run is the scan's costly part: skip it on a day without candidates
        stats = strategy_stats(panel, signals)
        events = tuple(
            _signal(panel, day, reference[symbol], strategy.name, rank, i, -neg_score, signals, stats)
            for rank, (neg_score, symbol, i) in enumerate(picks)
        )
    completed = ScanCompleted(
        trading_day=day,
        strategy=strategy.name,
        universe_size=len(universe),
        candidates=len(events),
        excluded=excluded,
        data_until=panel.last_day,
        exits=tuple(sorted(panel.symbols[i] for i in np.flatnonzero(signals.exits[-1]))),
    )
    return ScanResult(signals=events, completed=completed)


def _exclusion(
    panel: Panel,
    i: int | None,
    ref: ReferenceData | None,
    min_listing_days: int,
    *,
    traded: BoolArray,
    one_price: BoolArray,
) -> str | None:
    if ref is None:
        return "suspended"
    if ref.st:
        return "st"
    if ref.listing_index < min_listing_days:
        return "new_listing"
    if i is None or not traded[i]:
        return "no_history"
    if one_price[i] and _closed_at_limit_up(panel, i):
        return "limit_up_locked"
    return None


def _closed_at_limit_up(panel: Panel, i: int) -> bool:
    # with high == low: a one-price board at limit-up on D−1, every trade at the limit, buyers queued unfilled
    band = limit_prices(
        panel.symbols[i],
        to_price(float(panel.prev_close[-1, i])),
        panel.last_day,
        st=bool(panel.st[-1, i]),
        listing_day_index=int(panel.listing_index[-1, i]),
    )
    return band.limited and to_price(float(panel.close[-1, i])) >= band.up


def _signal(
    panel: Panel,
    day: date,
    ref: ReferenceData,
    strategy: str,
    rank: int,
    i: int,
    score: float,
    signals: StrategySignals,
    stats: KellyStats,
) -> SignalGenerated:
    symbol = panel.symbols[i]
    features = {key: float(values[-1, i]) for key, values in signals.features.items()}
    return SignalGenerated(
        trading_day=day,
        signal_id=f"{day.isoformat()}:{strategy}:{symbol}",
        symbol=symbol,
        board=board_of(symbol),
        strategy=strategy,
        rank=rank,
        score=score,
        reference_price=to_price(float(panel.close[-1, i])),
        prev_close=ref.prev_close,
        features={key: value for key, value in features.items() if math.isfinite(value)},
        p_win=float(stats.p_win[i]),
        payoff=float(stats.payoff[i]),
        n_trades=int(stats.n_trades[i]),
        st=ref.st,
    )
