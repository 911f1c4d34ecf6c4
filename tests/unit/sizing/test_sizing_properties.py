"""Property tests of sizing: the batch's order never matters, and every proposal respects the caps and lots."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.market.boards import board_of
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.limits import limit_prices
from alphamoe.market.lots import buy_quantity_error, sell_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import on_tick
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.facts import MarketFacts
from alphamoe.sizing.allocate import allocate, size_batch
from alphamoe.sizing.config import SizingConfig
from alphamoe.types import Side, Verdict

POOL = ("600000.SH", "601398.SH", "000001.SZ", "300750.SZ", "301001.SZ", "688981.SH", "688001.SH", "830799.BJ")
INDUSTRY = {"600000.SH": "银行", "601398.SH": "银行", "000001.SZ": "银行", "300750.SZ": "电池", "301001.SZ": "电池"}
DAYS = (date(2020, 8, 24), date(2023, 8, 28), date(2024, 6, 3), date(2025, 7, 7))
COMMISSION = CommissionSchedule()


@st.composite
def batches(
    draw: st.DrawFn,
) -> tuple[date, list[SignalRouted], tuple[str, ...], AccountState, dict[str, ReferenceData], SizingConfig]:
    day = draw(st.sampled_from(DAYS))
    reference = {}
    for symbol in POOL:
        prev = Decimal(draw(st.integers(200, 30_000))).scaleb(-2)
        st_flag = board_of(symbol).value == "main" and draw(st.integers(0, 5)) == 0
        band = limit_prices(symbol, prev, day, st=st_flag, listing_day_index=draw(st.sampled_from([0, 500])))
        reference[symbol] = ReferenceData(symbol, day, prev, st_flag, 500, band)
    routed = []
    for i, symbol in enumerate(draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=12))):
        signal = SignalGenerated(
            trading_day=day,
            signal_id=f"s{i}",
            symbol=symbol,
            board=board_of(symbol),
            strategy="trend",
            rank=i,
            score=1.0,
            reference_price=reference[symbol].prev_close,
            prev_close=reference[symbol].prev_close,
            features={},
            p_win=draw(st.floats(0.3, 0.8)),
            payoff=draw(st.floats(0.5, 3.0)),
            n_trades=40,
        )
        routed.append(
            SignalRouted(
                trading_day=day,
                signal=signal,
                verdict=draw(st.sampled_from([Verdict.CONFIRM, Verdict.CONFIRM, Verdict.VETO])),
                confidence=draw(st.floats(0.0, 1.0)),
                gate=(),
                opinions=(),
                reasoning_summary="",
            )
        )
    positions = tuple(
        Position(
            symbol=s,
            quantity=(q := draw(st.integers(1, 20_000))),
            sellable=draw(st.integers(0, q)),
            cost=Decimal(q),
            last_price=reference[s].prev_close,
        )
        for s in draw(st.lists(st.sampled_from(POOL), unique=True, max_size=3))
    )
    account = AccountState(
        account_id="acc",
        trading_day=day,
        cash=Decimal(draw(st.sampled_from([5_000, 100_000, 1_000_000, 10_000_000]))),
        positions=positions,
    )
    exits = tuple(draw(st.lists(st.sampled_from([p.symbol for p in positions] or ["600000.SH"]), max_size=2)))
    config = SizingConfig(
        max_position_weight=draw(st.sampled_from([0.05, 0.2])),
        max_board_weight=draw(st.sampled_from([0.1, 0.5])),
        max_industry_weight=draw(st.sampled_from([0.1, 0.25])),
        max_total_weight=draw(st.sampled_from([0.5, 0.9])),
        cash_reserve=draw(st.sampled_from([0.0, 0.05])),
        max_orders=draw(st.integers(1, 10)),
        min_order_value=draw(st.sampled_from([Decimal(0), Decimal(20_000)])),
        min_confidence=draw(st.sampled_from([0.0, 0.3])),
    )
    return day, routed, exits, account, reference, config


def _groups(symbol: str) -> list[tuple[str, str]]:
    out = [("board", board_of(symbol).value)]
    if symbol in INDUSTRY:
        out.append(("industry", INDUSTRY[symbol]))
    return out


@settings(max_examples=60, deadline=None)
@given(batches(), st.randoms(use_true_random=False))
def test_size_batch_when_batch_permuted_then_orders_identical_and_within_caps(
    batch: tuple[date, list[SignalRouted], tuple[str, ...], AccountState, dict[str, ReferenceData], SizingConfig],
    rng: random.Random,
) -> None:
    day, routed, exits, account, reference, config = batch
    facts = MarketFacts(industries=INDUSTRY)
    orders = size_batch(day, routed, exits, account, reference, config, COMMISSION, facts=facts)
    shuffled = routed[:]
    rng.shuffle(shuffled)
    assert (
        size_batch(day, shuffled, tuple(reversed(exits)), account, reference, config, COMMISSION, facts=facts) == orders
    )

    equity = account.equity
    held = {p.symbol: p for p in account.positions}
    spent = Decimal(0)
    groups: dict[tuple[str, str], Decimal] = {}  # (kind, name) → held value, then + new buys
    for p in account.positions:
        for key in _groups(p.symbol):
            groups[key] = groups.get(key, Decimal(0)) + p.quantity * p.last_price
    caps = {"board": config.max_board_weight, "industry": config.max_industry_weight}
    for o in orders:
        band = reference[o.symbol].band
        assert on_tick(o.limit_price) and band.down <= o.limit_price <= band.up
        if o.side == Side.SELL:
            position = held[o.symbol]
            assert o.quantity <= position.sellable
            assert sell_quantity_error(o.symbol, o.quantity, position.quantity) is None
            continue
        assert buy_quantity_error(o.symbol, o.quantity) is None
        value = o.quantity * o.limit_price
        spent += value + trade_fees(o.symbol, o.side, o.quantity, o.limit_price, day, COMMISSION)
        holding = held.get(o.symbol)
        before = holding.quantity * holding.last_price if holding else Decimal(0)
        assert before + value <= equity * Decimal(repr(config.max_position_weight)) + Decimal("0.01")
        for key in _groups(o.symbol):
            groups[key] = groups.get(key, Decimal(0)) + value
            assert groups[key] <= equity * Decimal(repr(caps[key[0]])) + Decimal("0.01"), key
    assert spent == 0 or spent <= account.cash - Decimal(repr(config.cash_reserve)) * equity + Decimal("0.01")
    assert len([o for o in orders if o.side == Side.BUY]) <= config.max_orders
    assert [o.batch_index for o in orders] == list(range(len(orders)))


@settings(max_examples=80, deadline=None)
@given(batches())
def test_allocate_when_any_batch_then_every_confirmed_signal_ends_in_an_order_or_one_stated_reason(
    batch: tuple[date, list[SignalRouted], tuple[str, ...], AccountState, dict[str, ReferenceData], SizingConfig],
) -> None:
    day, routed, exits, account, reference, config = batch
    facts = MarketFacts(industries=INDUSTRY)
    sized = allocate(day, routed, exits, account, reference, config, COMMISSION, facts=facts)
    assert sized.orders == size_batch(day, routed, exits, account, reference, config, COMMISSION, facts=facts)
    ordered = [o.signal_id or "" for o in sized.orders if o.side == Side.BUY]
    unsized = [u.signal_id for u in sized.unsized]
    confirmed = sorted(r.signal.signal_id for r in routed if r.verdict == Verdict.CONFIRM)
    assert sorted(ordered + unsized) == confirmed and sized.confirmed == len(confirmed)
    for u in sized.unsized:
        assert u.reason and u.notes  # the sentence and the arithmetic behind it
        if u.limit_price is not None:
            assert u.lot is not None and u.limit_price > 0
    for o in sized.orders:
        assert o.side == Side.SELL or o.quantity * o.limit_price >= config.min_order_value
