"""Random risk scenarios for property tests: a day, pre-open reference data, an account, a batch of orders,
limits with one or two tight ones, a trading state and market facts, drawn by hypothesis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.boards import board_of
from alphamoe.market.limits import limit_prices
from alphamoe.market.lots import buy_lot
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import round_half_up
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

POOL = ("600000.SH", "600519.SH", "000001.SZ", "300750.SZ", "688981.SH", "830799.BJ", "601398.SH", "002594.SZ")
INDUSTRY = {"600000.SH": "银行", "601398.SH": "银行", "000001.SZ": "银行", "600519.SH": "酒", "002594.SZ": "汽车"}
DAYS = (date(2020, 8, 21), date(2020, 8, 24), date(2023, 8, 28), date(2024, 6, 3), date(2025, 7, 7))


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
