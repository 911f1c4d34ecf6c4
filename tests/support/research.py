"""Strategies that break the research checks on purpose: one peeks at tomorrow's close, one buys sealed boards."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import Strategy, StrategyParams, StrategySignals


class NoParams(StrategyParams):
    """No parameters."""


class PeekingStrategy(Strategy):
    """Enters at t when the close of t + 1 is higher: the look-ahead bug `check_lookahead` must catch."""

    name: ClassVar[str] = "peeking"
    Params: ClassVar[type[StrategyParams]] = NoParams

    def signals(self, panel: Panel) -> StrategySignals:
        close = panel.close
        tomorrow = np.vstack([close[1:], np.full((1, close.shape[1]), np.nan)])
        with np.errstate(invalid="ignore"):
            entries = np.nan_to_num(tomorrow / close - 1.0) > 0.01
        exits = np.zeros_like(entries)
        exits[1:] = entries[:-1]
        return StrategySignals(entries=entries, exits=exits, score=np.where(entries, 1.0, np.nan), features={})


class SealedBoardChaser(Strategy):
    """Enters on days a stock closed at a one-price board (high == low, up on the day): limit-locked entries."""

    name: ClassVar[str] = "sealed_chaser"
    Params: ClassVar[type[StrategyParams]] = NoParams

    def signals(self, panel: Panel) -> StrategySignals:
        with np.errstate(invalid="ignore"):
            entries = panel.traded & (panel.high == panel.low) & (panel.close > panel.prev_close * 1.04)
        exits = np.zeros_like(entries)
        exits[1:] = entries[:-1]
        return StrategySignals(entries=entries, exits=exits, score=np.where(entries, 1.0, np.nan), features={})
