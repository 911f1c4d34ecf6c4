"""Atomic reservations of the day's limits, so several risk replicas cannot together breach one.

An order that passed every rule claims its share of each cumulative limit (cash, per-stock, per-board and
per-industry notional, sellable shares, order counts) in one atomic step: all claims fit and are booked,
or none is. In Redis the step is one Lua script; in memory it runs under a lock. Amounts are integer fen,
so Lua's doubles stay exact.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.boards import board_key
from alphamoe.risk.rules import RiskContext, as_decimal, notional
from alphamoe.types import Side

if TYPE_CHECKING:  # annotations only: the backtest imports these modules and never talks to Redis
    import redis

DAY_TTL = 3 * 24 * 3600  # a day's ledger outlives the day, for audit and the day's late reports
CANCELS = "cancels"
ORDERS_AND_CANCELS = "orders_cancels"
ACTIVE = "active"


class Claim(NamedTuple):
    """Book `delta` on ledger `field` only if the field stays at or below `ceiling`; `code` names the rule."""

    field: str
    code: str
    delta: int
    ceiling: int


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A claim that did not fit: `used` was already booked, by this replica or another."""

    claim: Claim
    used: int

    def message(self, order_id: str) -> str:
        return (
            f"reservation of {order_id} refused: {self.claim.field} already at {self.used}, "
            f"+{self.claim.delta} would exceed {self.claim.ceiling} (booked concurrently)"
        )


@dataclass
class Ledger:
    """A day's bookings: integer amounts by field, and the ids of approved orders."""

    used: dict[str, int] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)


class ReservationBook(Protocol):
    """Where a day's bookings live; `scope` is one account and day, whatever the run (`engine.scope_of`)."""

    def snapshot(self, scope: str) -> Ledger: ...

    def reserve(self, scope: str, order_id: str, claims: Sequence[Claim]) -> tuple[Shortfall, ...]: ...

    def release(self, scope: str, order_id: str) -> bool: ...

    def record_cancel(self, scope: str, cap: int) -> bool: ...


def fen(amount: Decimal, rounding: str = ROUND_CEILING) -> int:
    return int(amount.scaleb(2).to_integral_value(rounding=rounding))


@lru_cache(maxsize=16384)
def _room(cap: float, equity: Decimal, held: Decimal) -> int:
    # what is left under a cap of equity, in fen; the same few (cap, equity, held) recur all batch
    return fen(equity * as_decimal(cap), ROUND_FLOOR) - fen(held)


def claims_for(order: OrderProposed, ctx: RiskContext, second: int) -> tuple[Claim, ...]:
    """Return the claims an approved order makes on the day's cumulative limits, in a fixed order."""
    limits = ctx.limits
    out = [
        Claim("orders", "DAILY_ORDER_CAP", 1, limits.max_orders_per_day),
        Claim(ORDERS_AND_CANCELS, "DAILY_CANCEL_CAP", 1, limits.max_orders_and_cancels_per_day),
        Claim(f"second:{second}", "ORDER_RATE", 1, limits.max_orders_per_second),
        Claim(ACTIVE, "ACTIVE_ORDER_CAP", 1, limits.max_active_orders),
    ]
    if order.side == Side.SELL:
        position = ctx.book.positions.get(order.symbol)
        out.append(
            Claim(f"sell:{order.symbol}", "T_PLUS_ONE", order.quantity, 0 if position is None else position.sellable)
        )
        return tuple(out)
    value, book, equity = notional(order), ctx.book, ctx.book.equity
    value_fen, board, zero = fen(value), board_key(order.symbol), Decimal(0)
    out.append(Claim("cash", "CASH", fen(value + ctx.fees(order)), _room(1.0, ctx.account.cash, zero)))
    room = _room(limits.max_position_weight, equity, book.value(order.symbol))
    out.append(Claim(f"symbol:{order.symbol}", "MAX_POSITION_WEIGHT", value_fen, room))
    room = _room(limits.max_board_weight, equity, book.by_board.get(board, zero))
    out.append(Claim(f"board:{board}", "MAX_BOARD_WEIGHT", value_fen, room))
    if (industry := ctx.facts.industry(order.symbol)) is not None:
        room = _room(limits.max_industry_weight, equity, book.by_industry.get(industry, zero))
        out.append(Claim(f"industry:{industry}", "MAX_INDUSTRY_WEIGHT", value_fen, room))
    return tuple(out)


DUPLICATE = Claim("ids", "DUPLICATE_ORDER", 1, 0)


class MemoryReservations:
    """The reservation book of one process (backtests, the embedded run, tests)."""

    def __init__(self) -> None:
        self._ledgers: dict[str, Ledger] = {}
        self._released: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def snapshot(self, scope: str) -> Ledger:
        with self._lock:
            ledger = self._ledgers.get(scope, Ledger())
            return Ledger(dict(ledger.used), set(ledger.ids))

    def seed(self, scope: str, order_ids: Sequence[str]) -> None:
        """Count orders approved before this book existed (duplicates and the daily caps see them)."""
        with self._lock:
            ledger = self._ledgers.setdefault(scope, Ledger())
            new = [i for i in order_ids if i not in ledger.ids]
            ledger.ids.update(new)
            for name in ("orders", ORDERS_AND_CANCELS):
                ledger.used[name] = ledger.used.get(name, 0) + len(new)

    def reserve(self, scope: str, order_id: str, claims: Sequence[Claim]) -> tuple[Shortfall, ...]:
        with self._lock:
            ledger = self._ledgers.setdefault(scope, Ledger())
            if order_id in ledger.ids:
                return (Shortfall(DUPLICATE, 1),)
            used = ledger.used
            short = tuple(
                Shortfall(c, used.get(c.field, 0)) for c in claims if used.get(c.field, 0) + c.delta > c.ceiling
            )
            if short:
                return short
            for c in claims:
                used[c.field] = used.get(c.field, 0) + c.delta
            ledger.ids.add(order_id)
            return ()

    def release(self, scope: str, order_id: str) -> bool:
        with self._lock:
            ledger = self._ledgers.get(scope)
            released = self._released.setdefault(scope, set())
            if ledger is None or order_id not in ledger.ids or order_id in released:
                return False
            released.add(order_id)
            ledger.used[ACTIVE] = ledger.used.get(ACTIVE, 0) - 1
            return True

    def record_cancel(self, scope: str, cap: int) -> bool:
        with self._lock:
            used = self._ledgers.setdefault(scope, Ledger()).used
            if used.get(ORDERS_AND_CANCELS, 0) + 1 > cap:
                return False
            used[ORDERS_AND_CANCELS] = used.get(ORDERS_AND_CANCELS, 0) + 1
            used[CANCELS] = used.get(CANCELS, 0) + 1
            return True


# KEYS: ledger hash, approved-id set. ARGV: order id, ttl, then (field, delta, ceiling) triples.
# Returns {} when every claim fits and is booked, else a flat list of field, used pairs that do not fit.
_RESERVE = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {'ids', '1'} end
local short = {}
for i = 3, #ARGV, 3 do
  local used = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if used + tonumber(ARGV[i + 1]) > tonumber(ARGV[i + 2]) then
    short[#short + 1] = ARGV[i]
    short[#short + 1] = tostring(used)
  end
end
if #short > 0 then return short end
for i = 3, #ARGV, 3 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {}
"""

# KEYS: ledger hash, approved-id set, released-id set. ARGV: order id, ttl.
_RELEASE = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'active', -1)
return 1
"""

# KEYS: ledger hash. ARGV: cap, ttl.
_CANCEL = """
local used = tonumber(redis.call('HGET', KEYS[1], 'orders_cancels') or '0')
if used + 1 > tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'orders_cancels', 1)
redis.call('HINCRBY', KEYS[1], 'cancels', 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class RedisReservations:
    """The reservation book shared by every risk replica: one Lua script per booking, atomic in Redis."""

    def __init__(self, client: redis.Redis, prefix: str = "alphamoe:risk") -> None:
        self.client = client
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._release = client.register_script(_RELEASE)
        self._cancel = client.register_script(_CANCEL)

    def _keys(self, scope: str) -> list[str]:
        base = f"{self.prefix}:{{{scope}}}"  # one hash slot per scope, should Redis be a cluster
        return [f"{base}:ledger", f"{base}:approved", f"{base}:released"]

    def snapshot(self, scope: str) -> Ledger:
        ledger_key, ids_key, _ = self._keys(scope)
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(ledger_key)
        pipe.smembers(ids_key)
        used, ids = pipe.execute()
        return Ledger({str(k): int(v) for k, v in used.items()}, {str(i) for i in ids})

    def reserve(self, scope: str, order_id: str, claims: Sequence[Claim]) -> tuple[Shortfall, ...]:
        args: list[str | int] = [order_id, DAY_TTL]
        for c in claims:
            args += [c.field, c.delta, c.ceiling]
        flat = [str(x) for x in self._reserve(keys=self._keys(scope)[:2], args=args)]
        if not flat:
            return ()
        by_field = {c.field: c for c in claims}
        by_field[DUPLICATE.field] = DUPLICATE
        return tuple(Shortfall(by_field[f], int(u)) for f, u in zip(flat[::2], flat[1::2], strict=True))

    def release(self, scope: str, order_id: str) -> bool:
        return bool(self._release(keys=self._keys(scope), args=[order_id, DAY_TTL]))

    def record_cancel(self, scope: str, cap: int) -> bool:
        return bool(self._cancel(keys=self._keys(scope)[:1], args=[cap, DAY_TTL]))
