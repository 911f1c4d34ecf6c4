"""Turn one day's routed signals and exits into lot-valid limit orders: Kelly × caps × cash.

The allocation is a pure function of its inputs, sorted by stable keys, so the same batch gives the
same orders in any arrival order (DESIGN.md §4). It only proposes: risk decides.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from alphamoe.events.payloads import OrderProposed, SignalRouted
from alphamoe.market.boards import board_key
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.lots import buy_lot, round_buy_quantity, round_sell_quantity
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import round_half_up
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.facts import MarketFacts
from alphamoe.sizing.config import SizingConfig
from alphamoe.sizing.kelly import kelly_fraction
from alphamoe.types import Side, Verdict


@dataclass(frozen=True, slots=True)
class _Draft:
    """An order before its place in the batch is known."""

    symbol: str
    side: Side
    quantity: int
    limit_price: Decimal
    reference_price: Decimal
    target_weight: float
    kelly: float
    signal_id: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Book:
    """The account figures every step of one batch reads, computed once per batch, not once per candidate.

    Each value is the same expression the steps computed for themselves, so the orders are unchanged.
    """

    positions: dict[str, Position]  # the first position of each symbol, as `AccountState.position`
    equity: Decimal
    market_value: Decimal
    held: tuple[tuple[str, float], ...]  # (symbol, value / equity) in account order; empty when equity <= 0

    @classmethod
    def of(cls, account: AccountState) -> _Book:
        positions: dict[str, Position] = {}
        for p in account.positions:
            positions.setdefault(p.symbol, p)
        market_value = account.market_value
        equity = account.cash + market_value  # `AccountState.equity`, without summing the positions twice
        held = (
            tuple((p.symbol, ratio(p.last_price * p.quantity, equity)) for p in account.positions) if equity > 0 else ()
        )
        return cls(positions, equity, market_value, held)


@cache
def _board(symbol: str) -> str:
    # risk's board key, cached: a pure function of the code, asked for every holding of every batch
    return board_key(symbol)


@dataclass(frozen=True, slots=True)
class _Candidate:
    routed: SignalRouted
    ref: ReferenceData
    kelly: float  # f*
    weight: float  # after the per-stock cap
    notes: tuple[str, ...]

    @property
    def symbol(self) -> str:
        return self.routed.signal.symbol


def order_id(day: date, account_id: str, symbol: str, side: Side) -> str:
    """Return the deterministic id of the day's one order per (account, symbol, side)."""
    return f"{day.isoformat()}:{account_id}:{symbol}:{side.value}"


def buy_limit_price(ref: ReferenceData, buffer: Decimal) -> Decimal:
    """Return the buy limit: the previous close plus a buffer, on the tick, inside the day's band."""
    return max(ref.band.down, min(ref.band.up, round_half_up(ref.prev_close * (1 + buffer))))


def sell_limit_price(ref: ReferenceData, buffer: Decimal) -> Decimal:
    """Return the sell limit: the previous close less a buffer, on the tick, inside the day's band."""
    return min(ref.band.up, max(ref.band.down, round_half_up(ref.prev_close * (1 - buffer))))


def size_batch(
    day: date,
    routed: Sequence[SignalRouted],
    exits: Sequence[str],
    account: AccountState,
    reference: Mapping[str, ReferenceData],
    config: SizingConfig,
    commission: CommissionSchedule,
    *,
    facts: MarketFacts | None = None,
) -> list[OrderProposed]:
    """Return the day's proposed orders: sells (exits, then trims) by symbol, then buys best weight first.

    Buys use the previous close from the pre-open reference (ex-rights adjusted), not the signal's
    last close, so a limit on an ex-rights day stays near the new price. `facts` adds the industry cap
    and leaves out stocks risk would refuse to buy (delisting period, locked at limit-up).
    """
    facts = facts or MarketFacts()
    exit_set = frozenset(exits)
    book = _Book.of(account)
    drafts = _sells(exit_set, account, reference, config, book)
    drafts += _buys(day, routed, exit_set, account, reference, config, commission, facts, book)
    return [
        OrderProposed(
            trading_day=day,
            order_id=order_id(day, account.account_id, d.symbol, d.side),
            account_id=account.account_id,
            symbol=d.symbol,
            side=d.side,
            quantity=d.quantity,
            limit_price=d.limit_price,
            reference_price=d.reference_price,
            target_weight=d.target_weight,
            kelly_fraction=d.kelly,
            signal_id=d.signal_id,
            reasons=d.reasons,
            batch_index=i,
            batch_size=len(drafts),
        )
        for i, d in enumerate(drafts)
    ]


def _sells(
    exits: frozenset[str],
    account: AccountState,
    reference: Mapping[str, ReferenceData],
    config: SizingConfig,
    book: _Book,
) -> list[_Draft]:
    out: list[_Draft] = []
    equity = book.equity
    weights = [w for _, w in book.held] or [0.0] * len(account.positions)  # none when equity <= 0: no trims
    for position, weight in sorted(zip(account.positions, weights, strict=True), key=lambda pw: pw[0].symbol):
        if position.symbol not in reference:  # absent from reference: suspended, cannot sell
            continue
        if position.symbol in exits:
            quantity = round_sell_quantity(position.symbol, position.sellable, position.quantity)
            why = f"strategy exit: sell {quantity} of {position.sellable} sellable ({position.quantity} held, T+1)"
        else:
            quantity, why = _trim(position, equity, weight, config)
        if quantity <= 0:
            continue
        ref = reference[position.symbol]  # read only for an order: a lazy reference builds no more
        limit = sell_limit_price(ref, config.limit_buffer)
        out.append(
            _Draft(
                symbol=position.symbol,
                side=Side.SELL,
                quantity=quantity,
                limit_price=limit,
                reference_price=ref.prev_close,
                target_weight=0.0,
                kelly=0.0,
                signal_id=None,
                reasons=(
                    why,
                    f"limit {limit} = max(limit-down {ref.band.down}, "
                    f"prev_close {ref.prev_close} × (1 - {config.limit_buffer}))",
                ),
            )
        )
    return out


def _trim(position: Position, equity: Decimal, weight: float, config: SizingConfig) -> tuple[int, str]:
    # sell a holding that grew past its cap (plus the band) back to the cap, in valid lots, T+1 permitting;
    # `weight` is the holding's value / equity from the batch's book
    if equity <= 0 or position.quantity == 0:
        return 0, ""
    cap = config.max_position_weight
    if weight <= cap + config.trim_band:
        return 0, ""
    value = position.quantity * position.last_price
    excess = value - _decimal(cap) * equity
    minimum, step = buy_lot(position.symbol)
    wanted = max(math.ceil(excess / position.last_price), minimum)
    wanted = -(-wanted // step) * step
    quantity = round_sell_quantity(position.symbol, min(wanted, position.sellable), position.quantity)
    return quantity, (
        f"trim: weight {weight:.4f} of equity {equity} exceeds max_position_weight {cap} + trim_band "
        f"{config.trim_band}; sell {quantity} of {position.sellable} sellable ({position.quantity} held)"
    )


def _candidates(
    routed: Sequence[SignalRouted],
    exits: frozenset[str],
    book: _Book,
    reference: Mapping[str, ReferenceData],
    config: SizingConfig,
    equity: Decimal,
    facts: MarketFacts,
) -> list[_Candidate]:
    # (signal, f*, raw weight, held weight, capped weight) per stock; the notes and the reference are made
    # only for the `max_orders` kept, as a scan can confirm hundreds of signals a day
    best: dict[str, tuple[SignalRouted, float, float, float, float]] = {}
    blocked = facts.delisting | facts.locked_limit_up
    for r in sorted(routed, key=lambda r: (r.signal.symbol, r.signal.signal_id)):
        symbol = r.signal.symbol
        if r.verdict != Verdict.CONFIRM or r.confidence < config.min_confidence or symbol not in reference:
            continue
        if symbol in exits or symbol in blocked:
            continue
        f_star = kelly_fraction(r.signal.p_win, r.signal.payoff)
        raw = f_star * config.kelly_fraction * r.confidence
        held = book.positions.get(symbol)
        held_weight = ratio(held.last_price * held.quantity, equity) if held is not None else 0.0
        room = max(config.max_position_weight - held_weight, 0.0)
        weight = min(raw, room)
        if weight <= 0.0:
            continue
        if symbol not in best or weight > best[symbol][4]:  # two strategies on one stock: keep the best
            best[symbol] = (r, f_star, raw, held_weight, weight)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][4], kv[0]))[: config.max_orders]
    return [
        _candidate(r, reference[s], f_star, raw, held, weight, config) for s, (r, f_star, raw, held, weight) in ranked
    ]


def _candidate(
    r: SignalRouted,
    ref: ReferenceData,
    f_star: float,
    raw: float,
    held_weight: float,
    weight: float,
    config: SizingConfig,
) -> _Candidate:
    notes = [
        f"kelly p={r.signal.p_win:.4f} b={r.signal.payoff:.4f} f*={f_star:.4f}",
        f"weight = f* {f_star:.4f} × fraction {config.kelly_fraction} × confidence {r.confidence:.4f} = {raw:.4f}",
    ]
    if raw > weight:  # capped by the room left under the per-stock cap
        notes.append(
            f"capped at max_position_weight {config.max_position_weight} less held {held_weight:.4f} → {weight:.4f}"
        )
    return _Candidate(r, ref, f_star, weight, tuple(notes))


def _buys(
    day: date,
    routed: Sequence[SignalRouted],
    exits: frozenset[str],
    account: AccountState,
    reference: Mapping[str, ReferenceData],
    config: SizingConfig,
    commission: CommissionSchedule,
    facts: MarketFacts,
    book: _Book,
) -> list[_Draft]:
    equity = book.equity
    if equity <= 0:
        return []
    candidates = _candidates(routed, exits, book, reference, config, equity, facts)
    candidates = _cap_groups(candidates, book, "board", _board, config.max_board_weight)
    candidates = _cap_groups(candidates, book, "industry", facts.industry, config.max_industry_weight)
    candidates = [c for c in candidates if c.weight > 0.0]
    exposure = ratio(book.market_value, equity)
    ceiling = min(config.max_total_weight, 1.0 - config.cash_reserve)
    room = max(ceiling - exposure, 0.0)
    total = math.fsum(c.weight for c in candidates)
    scale = room / total if total > room else 1.0
    scale_note = (
        f"scaled ×{scale:.4f}: exposure {exposure:.4f} + new {total:.4f} ≤ min(max_total_weight "
        f"{config.max_total_weight}, 1 - cash_reserve {config.cash_reserve}) = {ceiling:.4f}"
    )
    cash_left = account.cash - _decimal(config.cash_reserve) * equity
    out: list[_Draft] = []
    for c in candidates:
        weight = c.weight * scale
        symbol = c.symbol
        limit = buy_limit_price(c.ref, config.limit_buffer)
        target = target_cny(weight, equity)
        spend = min(target, cash_left)
        quantity = round_buy_quantity(symbol, int(spend / limit)) if spend > 0 else 0
        fees = _buy_fees(symbol, quantity, limit, day, commission)
        while quantity > 0 and quantity * limit + fees > cash_left:
            quantity = round_buy_quantity(symbol, quantity - 1)
            fees = _buy_fees(symbol, quantity, limit, day, commission)
        if quantity <= 0:
            continue
        cost = quantity * limit + fees
        notes = [
            *c.notes,
            *([scale_note] if scale < 1.0 else []),
            f"limit {limit} = min(limit-up {c.ref.band.up}, prev_close {c.ref.prev_close} × "
            f"(1 + {config.limit_buffer}))",
            f"target {target} CNY = {weight:.4f} × equity {equity}; cash after reserve and earlier orders {cash_left}",
            f"{quantity} shares × {limit} + fees {fees} = {cost}",
        ]
        cash_left -= cost
        out.append(
            _Draft(
                symbol=symbol,
                side=Side.BUY,
                quantity=quantity,
                limit_price=limit,
                reference_price=c.ref.prev_close,
                target_weight=min(weight, 1.0),
                kelly=c.kelly,
                signal_id=c.routed.signal.signal_id,
                reasons=tuple(notes),
            )
        )
    return out


def _cap_groups(
    candidates: list[_Candidate],
    book: _Book,
    kind: str,
    group_of: Callable[[str], str | None],
    cap: float,
) -> list[_Candidate]:
    # scale the new weights of each board (or industry) proportionally so held + new stays within its cap
    if not candidates:
        return candidates
    held: dict[str, float] = {}
    for symbol, weight in book.held:
        if (g := group_of(symbol)) is not None:
            held[g] = held.get(g, 0.0) + weight
    groups = [group_of(c.symbol) for c in candidates]
    total: dict[str, float] = {}
    for c, g in sorted(zip(candidates, groups, strict=True), key=lambda cg: cg[0].symbol):
        if g is not None:
            total[g] = math.fsum((total.get(g, 0.0), c.weight))
    out: list[_Candidate] = []
    for c, g in zip(candidates, groups, strict=True):
        room = max(cap - held.get(g, 0.0), 0.0) if g is not None else 0.0
        if g is None or total[g] <= room:
            out.append(c)
            continue
        scale = room / total[g]
        note = (
            f"{kind} {g} capped: held {held.get(g, 0.0):.4f} + new {total[g]:.4f} > max_{kind}_weight {cap}; "
            f"new weights ×{scale:.4f}"
        )
        out.append(_Candidate(c.routed, c.ref, c.kelly, c.weight * scale, (*c.notes, note)))
    return out


def _buy_fees(symbol: str, quantity: int, limit: Decimal, day: date, schedule: CommissionSchedule) -> Decimal:
    return trade_fees(symbol, Side.BUY, quantity * limit, day, schedule)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def ratio(amount: Decimal, equity: Decimal) -> float:
    """Return amount / equity as the float division of whole fen: one IEEE operation, so the compiled
    backtest (`backtest.compiled`), which holds money in fen, computes the very same weight."""
    return float(amount * 100) / float(equity * 100)


def target_cny(weight: float, equity: Decimal) -> Decimal:
    """Return the CNY a weight of equity buys: weight × equity in fen as one float product, rounded down
    to the fen (never more than the weight asks; the same float operation as the compiled backtest)."""
    return Decimal(math.floor(weight * float(equity * 100))).scaleb(-2)
