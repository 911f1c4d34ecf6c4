"""A signal factory for the LLM-side tests (the router's own lives in tests/unit/router/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from alphamoe.events.payloads import SignalGenerated
from alphamoe.types import Board

FEATURES = {"ret_5d": 0.048, "ret_20d": 0.124, "volume_ratio": 1.6, "amount_20d": 350_000_000.0, "rsi_14": 66.0}


@pytest.fixture
def make_signal() -> Callable[..., SignalGenerated]:
    def make(
        signal_id: str = "2024-05-06:trend_breakout:600519.SH",
        *,
        symbol: str = "600519.SH",
        day: date = date(2024, 5, 6),
    ) -> SignalGenerated:
        return SignalGenerated(
            trading_day=day,
            signal_id=signal_id,
            symbol=symbol,
            board=Board.MAIN,
            strategy="trend_breakout",
            rank=0,
            score=1.0,
            reference_price=Decimal("10.00"),
            prev_close=Decimal("10.00"),
            features=dict(FEATURES),
            p_win=0.55,
            payoff=1.5,
            n_trades=40,
        )

    return make
