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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from alphamoe.events.payloads import ScanCompleted, SignalGenerated
from alphamoe.market.bars import BoolArray, Panel
from alphamoe.market.boards import board_of
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import to_price
from alphamoe.router.features import expert_features, with_strategy_features
from alphamoe.strategy.base import LatestSignals, Strategy
from alphamoe.strategy.stats import (
    DEFAULT_STATS_LOOKBACK,
    DEFAULT_STATS_REFRESH,
    KellyStats,
    kelly_at,
    refresh_rows,
)

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
    stats_lookback: int = DEFAULT_STATS_LOOKBACK,
    stats_refresh: int = DEFAULT_STATS_REFRESH,
) -> ScanResult:
    """Return the signals of trading day `day` from `panel` (bars up to D−1) and D's pre-open reference.

    Signals are the last row's entries among eligible stocks, by score descending then symbol, at most
    `max_signals`. Each carries the features the router's experts read, computed by the router from the
    panel (router/features.py) whatever the strategy, with the strategy's own added. Non-finite feature
    values are left out (events carry finite floats only), so an expert that needs one abstains instead of
    judging a made-up 0.0. Each carries Kelly p and b as every backtest
    has them on `day` (`strategy.stats.kelly_at` at the refresh of D−1's block): the panel should reach back
    to that window's first session, and costs one run of the strategy when it starts there exactly
    (`kelly_panel_sessions`).
    """
    if panel.last_day >= day:
        raise ValueError(
            f"panel ends {panel.last_day.isoformat()}, not before scan day {day.isoformat()}: "
            "decisions of day D may see bars up to D−1 only (DESIGN.md §1); pass store.panel(until=D−1, …)"
        )
    if max_signals < 0:
        raise ValueError(f"max_signals must be >= 0, was {max_signals}")
    signals = strategy.latest(panel)  # every row's entries/exits (for the trade history), the last row's score
    eligible, excluded, universe_size = _eligible(panel, reference, min_listing_days)
    score = signals.score
    with np.errstate(invalid="ignore"):
        chosen = np.flatnonzero(eligible & signals.entries[-1] & np.isfinite(score))
    picks = [(-float(score[i]), panel.symbols[i], int(i)) for i in chosen]
    picks = sorted(picks)[:max_signals]
    events: tuple[SignalGenerated, ...] = ()
    if picks:  # the trade simulation is needed for candidates only: skip it on a day without any
        refreshed = int(refresh_rows(panel.dates, stats_refresh)[-1])
        stats = kelly_at(panel, strategy, refreshed, lookback=stats_lookback, signals=signals)
        columns = np.array([i for _, _, i in picks], dtype=np.int64)
        computed = expert_features(panel, np.full(len(columns), len(panel.dates) - 1, dtype=np.int64), columns)
        events = tuple(
            _signal(
                panel,
                day,
                reference[symbol],
                strategy.name,
                rank,
                i,
                -neg_score,
                signals,
                stats,
                {key: float(values[rank]) for key, values in computed.items()},
            )
            for rank, (neg_score, symbol, i) in enumerate(picks)
        )
    completed = ScanCompleted(
        trading_day=day,
        strategy=strategy.name,
        universe_size=universe_size,
        candidates=len(events),
        excluded=excluded,
        data_until=panel.last_day,
        exits=tuple(sorted(panel.symbols[i] for i in np.flatnonzero(signals.exits[-1]))),
    )
    return ScanResult(signals=events, completed=completed)


def scan_book(
    panel: Panel,
    day: date,
    reference: Mapping[str, ReferenceData],
    strategies: Sequence[Strategy],
    *,
    max_signals: int = 200,
    min_listing_days: int = 60,
    stats_lookback: int = DEFAULT_STATS_LOOKBACK,
    stats_refresh: int = DEFAULT_STATS_REFRESH,
) -> ScanResult:
    """Return `scan_day` of every strategy of a book on one panel, as one batch: each strategy's signals
    (tagged with it, up to `max_signals` each) in book order, and one ScanCompleted counting them all (the
    batch the size stage waits for), with the strategies joined by "+" and every strategy's exits."""
    if len({s.name for s in strategies}) != len(strategies) or not strategies:
        raise ValueError(f"a strategy book names each strategy once, was {[s.name for s in strategies]}")
    results = [
        scan_day(
            panel,
            day,
            reference,
            strategy,
            max_signals=max_signals,
            min_listing_days=min_listing_days,
            stats_lookback=stats_lookback,
            stats_refresh=stats_refresh,
        )
        for strategy in strategies
    ]
    if len(results) == 1:
        return results[0]
    first = results[0].completed
    completed = ScanCompleted(
        trading_day=day,
        strategy="+".join(s.name for s in strategies),
        universe_size=first.universe_size,
        candidates=sum(r.completed.candidates for r in results),
        excluded=first.excluded,  # eligibility is the scan's, the same for every strategy
        data_until=first.data_until,
        exits=tuple(sorted({symbol for r in results for symbol in r.completed.exits})),
    )
    return ScanResult(signals=tuple(s for r in results for s in r.signals), completed=completed)


def _eligible(
    panel: Panel, reference: Mapping[str, ReferenceData], min_listing_days: int
) -> tuple[BoolArray, dict[str, int], int]:
    """Return which panel columns may signal, the exclusion counts over the universe, and its size.

    The first reason of the module docstring wins; stocks only in `reference` (no bar in the panel) are
    counted under st, new_listing or no_history. Vectorised over the panel: one pass over the reference.
    """
    columns = {symbol: i for i, symbol in enumerate(panel.symbols)}
    n = len(panel.symbols)
    has_ref, st = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    listing = np.zeros(n, dtype=np.int64)
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    for symbol, ref in reference.items():
        i = columns.get(symbol)
        if i is None:  # listed on D but no bar in the panel
            excluded["st" if ref.st else "new_listing" if ref.listing_index < min_listing_days else "no_history"] += 1
        else:
            has_ref[i], st[i], listing[i] = True, ref.st, ref.listing_index
    traded = panel.traded[-1]
    with np.errstate(invalid="ignore"):
        one_price = np.abs(panel.high[-1] - panel.low[-1]) < 0.005  # high == low on the 0.01 tick
    left = np.ones(n, dtype=bool)
    for reason, hit in (
        ("suspended", ~has_ref),
        ("st", st),
        ("new_listing", listing < min_listing_days),
        ("no_history", ~traded),
    ):
        excluded[reason] += int(np.count_nonzero(left & hit))
        left &= ~hit
    for column in np.flatnonzero(left & one_price):
        if _closed_at_limit_up(panel, int(column)):
            excluded["limit_up_locked"] += 1
            left[column] = False
    return left, excluded, len(columns.keys() | reference.keys())


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
    signals: LatestSignals,
    stats: KellyStats,
    router_features: dict[str, float],
) -> SignalGenerated:
    symbol = panel.symbols[i]
    own = {key: float(values[i]) for key, values in signals.features.items()}
    features = with_strategy_features(router_features, own)
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
