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

from alphamoe.events.payloads import OrderProposed, SignalRouted, UnsizedReason, UnsizedSignal
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
class _Drop:
    """A confirmed signal sizing stopped at, kept as numbers: the sentence is written only when asked for.

    A backtest session drops hundreds of signals (most below `max_orders`); only `allocate` with
    `explain` turns them into `UnsizedSignal`s.
    """

    routed: SignalRouted
    code: UnsizedReason
    kelly: float  # f*
    weight: float = 0.0  # target weight when sizing got that far
    limit: Decimal | None = None
    quantity: int = 0
    notes: tuple[str, ...] = ()
    why: Callable[[], str] | None = None  # the sentence, when it needs numbers only the step had


@dataclass(frozen=True, slots=True)
class SizedBatch:
    """One batch's orders, and a stated reason for every confirmed signal that got none."""

    orders: list[OrderProposed]
    unsized: tuple[UnsizedSignal, ...]
    confirmed: int  # confirmed signals the batch saw


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
        # `AccountState.equity`, without summing the positions twice
        equity = account.cash + account.receivable + market_value
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
    """Return the day's proposed orders (`allocate` without the reasons for the signals left out)."""
    return allocate(day, routed, exits, account, reference, config, commission, facts=facts, explain=False).orders


def allocate(
    day: date,
    routed: Sequence[SignalRouted],
    exits: Sequence[str],
    account: AccountState,
    reference: Mapping[str, ReferenceData],
    config: SizingConfig,
    commission: CommissionSchedule,
    *,
    facts: MarketFacts | None = None,
    explain: bool = True,
) -> SizedBatch:
    """Return the day's proposed orders: sells (exits, then trims) by symbol, then buys best weight first;
    and, with `explain`, why each other confirmed signal got no order (Kelly <= 0, a lot above the capped
    target, cash, the minimum order value, ...), with the arithmetic up to where sizing stopped.

    Buys use the previous close from the pre-open reference (ex-rights adjusted), not the signal's
    last close, so a limit on an ex-rights day stays near the new price. `facts` adds the industry cap
    and leaves out stocks risk would refuse to buy (delisting period, locked at limit-up).
    """
    facts = facts or MarketFacts()
    exit_set = frozenset(exits)
    book = _Book.of(account)
    drops: list[_Drop] = []
    drafts = _sells(exit_set, account, reference, config, book)
    drafts += _buys(day, routed, exit_set, account, reference, config, commission, facts, book, drops)
    orders = [
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
    if not explain:
        return SizedBatch(orders, (), 0)
    confirmed = sum(1 for r in routed if r.verdict == Verdict.CONFIRM)
    unsized = sorted((_unsized(d, config) for d in drops), key=lambda u: (u.symbol, u.signal_id))
    return SizedBatch(orders, tuple(unsized), confirmed)


_SENTENCES: dict[UnsizedReason, str] = {
    UnsizedReason.NOT_TRADED: "no pre-open reference for the day (suspended or not listed): nothing to buy at",
    UnsizedReason.EXITING: "the strategy exits this stock today: size sells it and buys none",
    UnsizedReason.BLOCKED: "delisting period or locked at limit-up: risk refuses the buy",
    UnsizedReason.OUTWEIGHED: "another signal on the same stock weighs more: that one is sized",
}


def _unsized(d: _Drop, config: SizingConfig) -> UnsizedSignal:
    r = d.routed
    sentence = d.why() if d.why is not None else _SENTENCES[d.code]
    raw = d.kelly * config.kelly_fraction * r.confidence * config.capital_of(r.signal.strategy)
    notes = d.notes or _kelly_notes(r, d.kelly, raw, config)
    return UnsizedSignal(
        symbol=r.signal.symbol,
        signal_id=r.signal.signal_id,
        code=d.code,
        reason=sentence,
        p_win=r.signal.p_win,
        payoff=r.signal.payoff,
        kelly=d.kelly,
        kelly_fraction=config.kelly_fraction,
        confidence=r.confidence,
        target_weight=min(max(d.weight, 0.0), 1.0),
        limit_price=d.limit,
        lot=buy_lot(r.signal.symbol)[0] if d.limit is not None else None,
        quantity=d.quantity,
        notes=notes,
    )


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
    drops: list[_Drop],
) -> list[_Candidate]:
    # (signal, f*, raw weight, held weight, capped weight) per stock; the notes and the reference are made
    # only for the `max_orders` kept, as a scan can confirm hundreds of signals a day
    best: dict[str, tuple[SignalRouted, float, float, float, float]] = {}
    blocked = facts.delisting | facts.locked_limit_up
    for r in sorted(routed, key=lambda r: (r.signal.symbol, r.signal.signal_id)):
        symbol = r.signal.symbol
        if r.verdict != Verdict.CONFIRM:
            continue
        f_star = kelly_fraction(r.signal.p_win, r.signal.payoff)
        if r.confidence < config.min_confidence:
            drops.append(_Drop(r, UnsizedReason.BELOW_MIN_CONFIDENCE, f_star, why=_low_confidence(r, config)))
            continue
        if symbol not in reference or symbol in exits or symbol in blocked:
            code = (
                UnsizedReason.NOT_TRADED
                if symbol not in reference
                else UnsizedReason.EXITING
                if symbol in exits
                else UnsizedReason.BLOCKED
            )
            drops.append(_Drop(r, code, f_star))
            continue
        raw = f_star * config.kelly_fraction * r.confidence * config.capital_of(r.signal.strategy)
        held = book.positions.get(symbol)
        held_weight = ratio(held.last_price * held.quantity, equity) if held is not None else 0.0
        room = max(config.max_position_weight - held_weight, 0.0)
        weight = min(raw, room)
        if weight <= 0.0:
            drops.append(_no_weight(r, f_star, raw, held_weight, config))
            continue
        if symbol in best:  # two strategies on one stock: keep the best
            kept = best[symbol]
            if weight <= kept[4]:
                drops.append(_Drop(r, UnsizedReason.OUTWEIGHED, f_star, weight))
                continue
            drops.append(_Drop(kept[0], UnsizedReason.OUTWEIGHED, kept[1], kept[4]))
        best[symbol] = (r, f_star, raw, held_weight, weight)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][4], kv[0]))
    for rank, (_, (r, f_star, _raw, _held, weight)) in enumerate(ranked[config.max_orders :], config.max_orders):
        drops.append(_Drop(r, UnsizedReason.MAX_ORDERS, f_star, weight, why=_past_max_orders(weight, rank, config)))
    return [
        _candidate(r, reference[s], f_star, raw, held, weight, config)
        for s, (r, f_star, raw, held, weight) in ranked[: config.max_orders]
    ]


def _low_confidence(r: SignalRouted, config: SizingConfig) -> Callable[[], str]:
    return lambda: f"router confidence {r.confidence:.4f} is below sizing.min_confidence {config.min_confidence}"


def _past_max_orders(weight: float, rank: int, config: SizingConfig) -> Callable[[], str]:
    return lambda: (
        f"weight {weight:.4f} ranks {rank + 1}: only the sizing.max_orders {config.max_orders} best weights are sized"
    )


def _no_weight(r: SignalRouted, f_star: float, raw: float, held_weight: float, config: SizingConfig) -> _Drop:
    # the weight before the group caps is 0: no edge (f* <= 0), no confidence, or a holding at the stock cap
    p, b = r.signal.p_win, r.signal.payoff
    if f_star <= 0.0:
        return _Drop(
            r,
            UnsizedReason.KELLY_NOT_POSITIVE,
            f_star,
            why=lambda: f"kelly f* = p - (1 - p)/b = {p:.4f} - {1 - p:.4f}/{b:.4f} <= 0: no edge to bet on",
        )
    if raw <= 0.0:
        return _Drop(r, UnsizedReason.BELOW_MIN_CONFIDENCE, f_star, why=lambda: "router confidence 0: weight 0")
    cap = config.max_position_weight
    return _Drop(
        r,
        UnsizedReason.HELD_AT_CAP,
        f_star,
        why=lambda: f"held weight {held_weight:.4f} already fills max_position_weight {cap}: no room",
    )


def _kelly_notes(r: SignalRouted, f_star: float, raw: float, config: SizingConfig) -> tuple[str, ...]:
    # with a strategy book, the strategy's share of the capital is one more factor
    share = f" × {r.signal.strategy} capital {config.capital_of(r.signal.strategy)}" if config.strategy_capital else ""
    return (
        f"kelly p={r.signal.p_win:.4f} b={r.signal.payoff:.4f} f*={f_star:.4f}",
        f"weight = f* {f_star:.4f} × fraction {config.kelly_fraction} × confidence {r.confidence:.4f}{share}"
        f" = {raw:.4f}",
    )


def _candidate(
    r: SignalRouted,
    ref: ReferenceData,
    f_star: float,
    raw: float,
    held_weight: float,
    weight: float,
    config: SizingConfig,
) -> _Candidate:
    notes = list(_kelly_notes(r, f_star, raw, config))
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
    drops: list[_Drop],
) -> list[_Draft]:
    equity = book.equity
    if equity <= 0:
        drops += (
            _Drop(
                r,
                UnsizedReason.NO_EQUITY,
                kelly_fraction(r.signal.p_win, r.signal.payoff),
                why=lambda: f"equity {equity} CNY: nothing to size against",
            )
            for r in routed
            if r.verdict == Verdict.CONFIRM
        )
        return []
    candidates = _candidates(routed, exits, book, reference, config, equity, facts, drops)
    candidates = _cap_groups(candidates, book, "board", _board, config.max_board_weight)
    candidates = _cap_groups(candidates, book, "industry", facts.industry, config.max_industry_weight)
    for c in candidates:
        if c.weight <= 0.0:
            drops.append(_Drop(c.routed, UnsizedReason.GROUP_CAP, c.kelly, notes=c.notes, why=_last_note(c.notes)))
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
        notes = [
            *c.notes,
            *([scale_note] if scale < 1.0 else []),
            f"limit {limit} = min(limit-up {c.ref.band.up}, prev_close {c.ref.prev_close} × "
            f"(1 + {config.limit_buffer}))",
            f"target {target} CNY = {weight:.4f} × equity {equity}; cash after reserve and earlier orders {cash_left}",
        ]
        if quantity <= 0 or quantity * limit < config.min_order_value:
            why = _unbought(symbol, quantity, limit, target, cash_left, room, config)
            drops.append(_Drop(c.routed, why[0], c.kelly, weight, limit, max(quantity, 0), tuple(notes), why[1]))
            continue
        cost = quantity * limit + fees
        notes.append(f"{quantity} shares × {limit} + fees {fees} = {cost}")
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


def _last_note(notes: tuple[str, ...]) -> Callable[[], str]:
    return lambda: f"weight 0 after the caps: {notes[-1]}"


def _unbought(
    symbol: str,
    quantity: int,
    limit: Decimal,
    target: Decimal,
    cash_left: Decimal,
    room: float,
    config: SizingConfig,
) -> tuple[UnsizedReason, Callable[[], str]]:
    # why a candidate with a weight got no lot-valid buy: exposure full, one lot above its target, cash,
    # or an order too small for the minimum commission to stay a few basis points
    if quantity > 0:
        floor = config.min_order_value
        return (
            UnsizedReason.BELOW_MIN_ORDER_VALUE,
            lambda: (
                f"{quantity} shares × {limit} = {quantity * limit} CNY is below sizing.min_order_value {floor} CNY "
                "(the minimum commission would cost more than a few basis points)"
            ),
        )
    if room <= 0.0:
        return (
            UnsizedReason.EXPOSURE_CAP,
            lambda: (
                f"exposure already at min(max_total_weight {config.max_total_weight}, 1 - cash_reserve "
                f"{config.cash_reserve}): no room for new buys"
            ),
        )
    lot = buy_lot(symbol)[0]
    if round_buy_quantity(symbol, int(target / limit)) <= 0:
        return (
            UnsizedReason.LOT_ABOVE_TARGET,
            lambda: (
                f"one lot of {lot} × {limit} = {lot * limit} CNY exceeds the target {target} CNY "
                "(the weight after the caps and the exposure scale)"
            ),
        )
    return (
        UnsizedReason.CASH,
        lambda: (
            f"cash after the reserve and earlier orders {cash_left} CNY does not buy one lot of {lot} × {limit} "
            "with its fees"
        ),
    )


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
    return trade_fees(symbol, Side.BUY, quantity, limit, day, schedule)


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
