"""The compiled session loop against the loop over the live Python objects: the same run, trade for trade.

`engine.simulate` calls the live `size_batch`, `RiskEngine` and the paper broker's matching on
Pydantic objects; `compiled.engine.simulate_compiled` runs their numba transcriptions over fen arrays.
Every fill (day, symbol, side, quantity, price, fees, order id), every equity point, every rejection
code and every unfilled order (listed one by one) must agree, with configurations that make each cap bind.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare, simulate
from alphamoe.backtest.result import BacktestResult
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk.config import RiskLimits
from alphamoe.sizing.config import SizingConfig
from alphamoe.strategy.trend_breakout import TrendBreakout

START, END = date(2024, 7, 1), date(2025, 3, 31)
BINDING = {
    "default": BacktestConfig(warmup=120),
    # risk rejects: a small notional cap, a throttle of 8 orders a session, tight board and industry caps
    "risk-binds": BacktestConfig(
        warmup=120,
        initial_cash=Decimal("3000000"),
        sizing=SizingConfig(kelly_fraction=1.0, max_position_weight=0.2, max_orders=30, trim_band=0.0),
        risk=RiskLimits(
            max_position_weight=0.12,
            max_board_weight=0.3,
            max_industry_weight=0.1,
            max_order_notional=Decimal("150000"),
            max_orders_per_second=8,
        ),
        commission=CommissionSchedule(rate=Decimal("0.0003"), minimum=Decimal("5")),
    ),
    # sizing binds: cash, the minimum commission and odd lots on a small account, board caps scale weights
    "small-account": BacktestConfig(
        warmup=120,
        initial_cash=Decimal("120000"),
        sizing=SizingConfig(  # no minimum order value: orders small enough to pay the minimum commission
            kelly_fraction=1.0,
            max_position_weight=0.4,
            max_board_weight=0.3,
            cash_reserve=0.1,
            min_order_value=Decimal(0),
        ),
        risk=RiskLimits(max_position_weight=0.45),
        volume_cap=0.0002,  # thin: orders partly filled and some not at all
    ),
    # the live router's symbolic experts judge every pick: vetoed and abstained picks are never sized
    "routed": BacktestConfig(warmup=120, route="symbolic"),
}


def _same(ours: BacktestResult, reference: BacktestResult) -> None:
    first = next(
        (k for k, (a, b) in enumerate(zip(ours.trades, reference.trades, strict=False)) if a != b),
        min(len(ours.trades), len(reference.trades)),
    )
    assert ours.trades == reference.trades, (
        f"trade #{first}: compiled {ours.trades[first : first + 2]} vs live {reference.trades[first : first + 2]}"
    )
    assert ours.equity == reference.equity
    assert ours.rejected == reference.rejected and ours.unfilled == reference.unfilled
    assert ours.unfilled_orders == reference.unfilled_orders
    assert ours.final_equity == reference.final_equity and ours.metrics == reference.metrics


@pytest.fixture(scope="module", params=sorted(BINDING))
def prepared(request: pytest.FixtureRequest, market_dir: Path) -> Prepared:
    return prepare(BarStore(market_dir), START, END, TrendBreakout(), BINDING[request.param])


def test_compiled_when_synthetic_market_then_equal_to_the_live_code_trade_for_trade(prepared: Prepared) -> None:
    reference = simulate(prepared)
    ours = simulate_compiled(prepared)

    _same(ours, reference)
    assert reference.metrics.fills > 30, "too few trades for the comparison to mean anything"


def test_compiled_when_caps_bind_then_rejections_and_partial_fills_occur(market_dir: Path) -> None:
    # the configurations above are not vacuous: risk rejects, and fills are cut by volume or cash
    results = {
        name: simulate_compiled(prepare(BarStore(market_dir), START, END, TrendBreakout(), config))
        for name, config in BINDING.items()
        if name != "default"
    }
    assert {"MAX_ORDER_NOTIONAL", "ORDER_RATE"} <= set(results["risk-binds"].rejected)
    assert results["small-account"].unfilled or results["small-account"].rejected
    misses = results["small-account"].unfilled_orders
    assert any(0 < m.filled < m.quantity and m.reason == "volume_cap" for m in misses), "no partial fill listed"
    assert sum(m.filled == 0 for m in misses) == sum(results["small-account"].unfilled.values())


@pytest.mark.realdata
def test_compiled_when_real_stocks_over_years_then_equal_to_the_live_code(real_backtest_store: Path) -> None:
    prepared = prepare(
        BarStore(real_backtest_store), date(2014, 1, 1), date(2021, 12, 31), TrendBreakout(), BINDING["default"]
    )

    _same(simulate_compiled(prepared), simulate(prepared))


def test_compiled_when_progress_given_then_called_up_to_every_session(prepared: Prepared) -> None:
    seen: list[tuple[int, int]] = []
    simulate_compiled(prepared, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(prepared.rows), len(prepared.rows))
