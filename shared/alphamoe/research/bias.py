"""Bias checks beyond look-ahead: a survivor-only universe, and trades clustered on limit-locked days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from alphamoe.backtest.market import BacktestMarket
from alphamoe.strategy.base import StrategySignals

LOCKED_RATIO = 3.0  # entries on locked days this many times the market's share of locked days: flagged
LOCKED_SHARE = 0.05  # … when at least this share of all entries


@dataclass(frozen=True)
class Survivorship:
    delisted: int  # stocks of the universe delisted (by the instrument table) by the range's end
    stopped: int  # stocks that stop trading for good before the range's last session
    flagged: bool


def survivorship(instruments: pd.DataFrame, market: BacktestMarket, end: date) -> Survivorship:
    """Flag a universe with no stock that was delisted or stopped trading: survivors only inflate returns."""
    symbols = set(market.panel.symbols)
    frame = instruments[instruments["symbol"].isin(symbols)]
    delist = pd.to_datetime(frame["delist_date"], errors="coerce")
    delisted = int((delist.notna() & (delist <= pd.Timestamp(end))).sum())
    traded = market.traded[market.first_row :]
    last_row = traded.shape[0] - 1 - np.argmax(traded[::-1], axis=0)
    stopped = int(((last_row < traded.shape[0] - 21) & traded.any(axis=0)).sum())  # a month or more before the end
    return Survivorship(delisted, stopped, flagged=delisted == 0 and stopped == 0)


@dataclass(frozen=True)
class LimitCluster:
    entries: int
    on_locked: int  # entries decided on a day the stock closed locked at a limit (high == low == limit)
    share: float
    market_share: float  # share of all traded stock-days that closed locked
    flagged: bool


def limit_cluster(signals: StrategySignals, market: BacktestMarket) -> LimitCluster:
    """Flag entries that cluster on limit-locked days (一字板): a fill there is a fiction the next open rarely gives."""
    rows = slice(market.first_row, None)
    locked = (market.high == market.low) & ((market.high == market.up) | (market.low == market.down))
    locked &= market.traded
    entries = signals.entries[rows]
    n = int(entries.sum())
    hits = int((entries & locked[rows]).sum())
    base = float(locked[rows].sum() / max(int(market.traded[rows].sum()), 1))
    share = hits / n if n else 0.0
    flagged = n > 0 and share >= LOCKED_SHARE and share >= LOCKED_RATIO * base
    return LimitCluster(n, hits, share, base, flagged)
