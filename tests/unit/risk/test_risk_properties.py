"""Property tests: over random portfolios, prices, boards, ST flags, days and batches, no approved order breaks
a rule, checked by an oracle written from the exchange rules rather than by the engine's own rule functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.keys import APPROVAL_SECRET

from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.market.boards import board_of
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.limits import limit_prices
from alphamoe.market.lots import buy_lot, buy_quantity_error, sell_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import on_tick, round_half_up
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.approval import verify
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

SECRET = APPROVAL_SECRET
POOL = ("600000.SH", "600519.SH", "000001.SZ", "300750.SZ", "688981.SH", "830799.BJ", "601398.SH", "002594.SZ")
INDUSTRY = {"600000.SH": "银行", "601398.SH": "银行", "000001.SZ": "银行", "600519.SH": "酒", "002594.SZ": "汽车"}
DAYS = (date(2020, 8, 21), date(2020, 8, 24), date(2023, 8, 28), date(2024, 6, 3), date(2025, 7, 7))
COMMISSION = CommissionSchedule()


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[date, dict[str, ReferenceData], AccountState, list[OrderProposed], RiskLimits, TradingState, MarketFacts]:
    day = draw(st.sampled_from(DAYS))
    reference: dict[str, ReferenceData] = {}
    for symbol in POOL:
        if draw(st.integers(0, 9)) == 0:  # suspended
            continue
        prev = Decimal(draw(st.integers(100, 20_000))).scaleb(-2)
        is_st = board_of(symbol).value in ("main", "chinext") and draw(st.integers(0, 4)) == 0
        band = limit_prices(symbol, prev, day, st=is_st, listing_day_index=draw(st.sampled_from([0, 3, 500])))
        reference[symbol] = ReferenceData(symbol, day, prev, is_st, 500, band)
    positions = []
    for symbol in draw(st.lists(st.sampled_from(POOL), unique=True, max_size=4)):
        quantity = draw(st.sampled_from([100, 1000, 5000, draw(st.integers(1, 5000))]))
        price = reference[symbol].prev_close if symbol in reference else Decimal("10.00")
        positions.append(
            Position(
                symbol=symbol,
                quantity=quantity,
                sellable=draw(st.integers(0, quantity)),
                cost=price * quantity,
                last_price=price,
            )
        )
    account = AccountState(
        account_id="acc",
        trading_day=day,
        cash=Decimal(draw(st.sampled_from([0, 20_000, 200_000, 1_000_000, 5_000_000]))) + Decimal("0.37"),
        positions=tuple(positions),
    )
    orders = []
    for i in range(draw(st.integers(1, 20))):
        side = draw(st.sampled_from([Side.BUY, Side.BUY, Side.SELL]))
        pool = [p.symbol for p in positions] if side == Side.SELL and positions and draw(st.integers(0, 4)) else POOL
        symbol = draw(st.sampled_from(pool))
        ref = reference.get(symbol)
        base = ref.prev_close if ref is not None else Decimal("10.00")
        if ref is not None and ref.band.limited and draw(st.integers(0, 3)):  # mostly inside the band
            limit = Decimal(draw(st.integers(int(ref.band.down * 100), int(ref.band.up * 100)))).scaleb(-2)
        else:
            limit = max(round_half_up(base * Decimal(draw(st.integers(70, 130))) / 100), Decimal("0.01"))
        minimum, step = buy_lot(symbol)
        valid_buy = minimum + draw(st.integers(0, 30)) * (100 if step == 100 else 37)
        held = next((p for p in positions if p.symbol == symbol), None)
        choices = [valid_buy] * 3 + [draw(st.integers(1, 3000))]  # the last is often an odd lot
        if side == Side.SELL and held is not None and held.sellable:
            choices = [held.sellable, held.quantity, max(held.sellable // 100 * 100, 1), *choices[-2:]]
        quantity = draw(st.sampled_from(choices))
        orders.append(
            OrderProposed(
                trading_day=day,
                order_id=f"o{draw(st.integers(0, 12))}" if draw(st.integers(0, 5)) == 0 else f"u{i}",
                account_id="acc",
                symbol=symbol,
                side=side,
                quantity=quantity,
                limit_price=limit,
                reference_price=base,
                target_weight=0.01,
                kelly_fraction=0.1,
            )
        )
    # generous limits with one or two tight ones, so approvals are common and the tight limit binds
    tight = {
        "max_position_weight": st.sampled_from([0.01, 0.02, 0.05]),
        "max_board_weight": st.sampled_from([0.01, 0.03, 0.1]),
        "max_industry_weight": st.sampled_from([0.01, 0.03, 0.1]),
        "max_order_notional": st.sampled_from([Decimal(20_000), Decimal(100_000)]),
        "max_order_quantity": st.sampled_from([300, 1000]),
        "max_orders_per_day": st.integers(1, 10),
        "max_orders_per_second": st.integers(1, 10),
        "max_active_orders": st.integers(1, 10),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(tight)), min_size=1, max_size=2, unique=True))
    generous: dict[str, object] = {
        "max_position_weight": 1.0,
        "max_board_weight": 1.0,
        "max_industry_weight": 1.0,
        "max_order_notional": Decimal(10_000_000),
    }
    limits = RiskLimits.model_validate({**generous, **{name: draw(tight[name]) for name in chosen}})
    facts = MarketFacts(
        industries=INDUSTRY,
        delisting=frozenset(draw(st.lists(st.sampled_from(POOL), max_size=1))),
        locked_limit_up=frozenset(draw(st.lists(st.sampled_from(POOL), max_size=1))),
    )
    state = draw(st.sampled_from([TradingState.ACTIVE] * 6 + [TradingState.REDUCING, TradingState.HALTED]))
    return day, reference, account, orders, limits, state, facts


def oracle_breaches(
    decisions: list[Decision],
    reference: dict[str, ReferenceData],
    account: AccountState,
    limits: RiskLimits,
    state: TradingState,
    facts: MarketFacts,
    day: date,
) -> list[str]:
    """Replay the approvals in decision order and list every rule any of them breaks."""
    out: list[str] = []
    held = {p.symbol: p for p in account.positions}
    equity = account.equity
    sold: dict[str, int] = {}
    bought: dict[str, Decimal] = {}
    boards: dict[str, Decimal] = {}
    industries: dict[str, Decimal] = {}
    for p in account.positions:
        boards[board_of(p.symbol).value] = boards.get(board_of(p.symbol).value, Decimal(0)) + p.quantity * p.last_price
        if p.symbol in INDUSTRY:
            industries[INDUSTRY[p.symbol]] = industries.get(INDUSTRY[p.symbol], Decimal(0)) + p.quantity * p.last_price
    cost, ids = Decimal(0), set()
    for d in decisions:
        if not isinstance(d, OrderApproved):
            assert isinstance(d, OrderRejected) and d.violations
            continue
        o, why = (
            d.order,
            f"{d.order.order_id} {d.order.side} {d.order.quantity} {d.order.symbol} @ {d.order.limit_price}",
        )
        verify(d, SECRET)
        ref = reference.get(o.symbol)
        position = held.get(o.symbol)
        quantity_held = (position.quantity if position else 0) - sold.get(o.symbol, 0)
        value = o.quantity * o.limit_price
        if o.order_id in ids:
            out.append(f"duplicate {why}")
        ids.add(o.order_id)
        if state == TradingState.HALTED or (
            state == TradingState.REDUCING and (o.side == Side.BUY or o.quantity > quantity_held)
        ):
            out.append(f"state {state}: {why}")
        if ref is None:
            out.append(f"suspended {why}")
            continue
        if not on_tick(o.limit_price) or not ref.band.down <= o.limit_price <= ref.band.up:
            out.append(f"price {why} band {ref.band}")
        if o.quantity > limits.max_order_quantity or value > limits.max_order_notional:
            out.append(f"order size {why}")
        if o.side == Side.SELL:
            if sell_quantity_error(o.symbol, o.quantity, quantity_held) is not None:
                out.append(f"lot {why}")
            sold[o.symbol] = sold.get(o.symbol, 0) + o.quantity
            if sold[o.symbol] > (position.sellable if position else 0):
                out.append(f"T+1 {why}")
            continue
        if buy_quantity_error(o.symbol, o.quantity) is not None:
            out.append(f"lot {why}")
        if ref.st or o.symbol in facts.delisting or o.symbol in facts.locked_limit_up:
            out.append(f"blocked buy {why}")
        cost += value + trade_fees(o.symbol, o.side, value, day, COMMISSION)
        if cost > account.cash:
            out.append(f"cash {cost} > {account.cash} at {why}")
        bought[o.symbol] = bought.get(o.symbol, Decimal(0)) + value
        held_value = position.quantity * position.last_price if position else Decimal(0)
        if held_value + bought[o.symbol] > equity * Decimal(repr(limits.max_position_weight)):
            out.append(f"position weight {why}")
        board = board_of(o.symbol).value
        boards[board] = boards.get(board, Decimal(0)) + value
        if boards[board] > equity * Decimal(repr(limits.max_board_weight)):
            out.append(f"board weight {why}")
        if o.symbol in INDUSTRY:
            name = INDUSTRY[o.symbol]
            industries[name] = industries.get(name, Decimal(0)) + value
            if industries[name] > equity * Decimal(repr(limits.max_industry_weight)):
                out.append(f"industry weight {why}")
    approved = len(ids)
    if approved > min(limits.max_orders_per_day, limits.max_orders_per_second, limits.max_active_orders):
        out.append(f"{approved} approvals exceed the count caps")
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_evaluate_batch_when_random_day_then_no_approved_order_breaks_any_rule(
    scenario: tuple[
        date, dict[str, ReferenceData], AccountState, list[OrderProposed], RiskLimits, TradingState, MarketFacts
    ],
) -> None:
    day, reference, account, orders, limits, state, facts = scenario
    engine = RiskEngine(limits, SECRET, COMMISSION)
    decisions = engine.evaluate_batch(day, orders, account, reference, state, facts=facts)
    assert len(decisions) == len(orders)
    assert oracle_breaches(decisions, reference, account, limits, state, facts, day) == []
    again = engine.evaluate_batch(day, list(reversed(orders)), account, reference, state, facts=facts)
    assert again == decisions  # a batch decides the same in any arrival order
