"""The kill switch's store: the trading state and why, per account, in Redis (or in memory without one).

Risk reads it before every order, so a halt set by hand (`alphamoe risk halt`) or by a loss limit stops the
next order a replica evaluates. Limits only ever tighten the state; only a person resumes (DESIGN.md §5).
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from alphamoe.risk.config import RiskLimits
from alphamoe.risk.state import TradingState, TradingStatus
from alphamoe.risk.triggers import EquityMark, breach

if TYPE_CHECKING:  # annotations only: the backtest imports these modules and never talks to Redis
    import redis


class TradingSwitch(Protocol):
    """The trading state of each account, shared by every risk replica."""

    def status(self, account_id: str) -> TradingStatus: ...

    def set(self, account_id: str, state: TradingState, reason: str, *, at: datetime) -> TradingStatus: ...

    def observe_equity(
        self, account_id: str, day: date, equity: Decimal, limits: RiskLimits, *, at: datetime
    ) -> TradingStatus: ...


def advance(
    mark: EquityMark | None,
    status: TradingStatus,
    day: date,
    equity: Decimal,
    limits: RiskLimits,
    at: datetime,
) -> tuple[EquityMark | None, TradingStatus]:
    """Return the new equity mark and status after seeing `equity` at the open of `day`.

    Each day is checked once, against the previous day's mark; a replay of an earlier day changes nothing.
    """
    if mark is not None and mark.day >= day.isoformat():
        return mark, status
    tripped = breach(equity, mark, limits)
    peak = equity if mark is None else max(mark.peak, equity)
    new_mark = EquityMark(last=equity, peak=peak, day=day.isoformat())
    if tripped is not None and tripped[0].severity > status.state.severity:
        return new_mark, TradingStatus(tripped[0], tripped[1], at.isoformat(timespec="seconds"))
    return new_mark, status


def _manual(status: TradingStatus, state: TradingState, reason: str, at: datetime) -> TradingStatus:
    return TradingStatus(state, reason or f"set to {state} by hand", at.isoformat(timespec="seconds"))


def _resumed(mark: EquityMark | None) -> EquityMark | None:
    # a resume accepts the losses so far: the drawdown counts from here
    return None if mark is None else EquityMark(last=mark.last, peak=mark.last, day=mark.day)


class MemorySwitch:
    """The switch of one process; `initial` is where every account starts (ALPHAMOE_TRADING_STATE)."""

    def __init__(self, initial: TradingStatus | None = None) -> None:
        self.initial = initial or TradingStatus()
        self._status: dict[str, TradingStatus] = {}
        self._marks: dict[str, EquityMark | None] = {}
        self._lock = threading.Lock()

    def status(self, account_id: str) -> TradingStatus:
        return self._status.get(account_id, self.initial)

    def set(self, account_id: str, state: TradingState, reason: str, *, at: datetime) -> TradingStatus:
        with self._lock:
            self._status[account_id] = status = _manual(self.status(account_id), state, reason, at)
            if state == TradingState.ACTIVE:
                self._marks[account_id] = _resumed(self._marks.get(account_id))
            return status

    def observe_equity(
        self, account_id: str, day: date, equity: Decimal, limits: RiskLimits, *, at: datetime
    ) -> TradingStatus:
        with self._lock:
            mark, status = advance(self._marks.get(account_id), self.status(account_id), day, equity, limits, at)
            self._marks[account_id], self._status[account_id] = mark, status
            return status


class RedisSwitch:
    """The switch in Redis: `<prefix>:{account}:state` (state, reason, since) and `…:equity` (last, peak, day)."""

    def __init__(self, client: redis.Redis, prefix: str = "alphamoe:risk") -> None:
        self.client = client
        self.prefix = prefix

    def _state_key(self, account_id: str) -> str:
        return f"{self.prefix}:{{{account_id}}}:state"

    def _equity_key(self, account_id: str) -> str:
        return f"{self.prefix}:{{{account_id}}}:equity"

    @staticmethod
    def _parse(raw: dict[str, str]) -> TradingStatus:
        if not raw:
            return TradingStatus()
        return TradingStatus(TradingState(raw["state"]), raw.get("reason", ""), raw.get("since", ""))

    @staticmethod
    def _mark(raw: dict[str, str]) -> EquityMark | None:
        if not raw:
            return None
        return EquityMark(last=Decimal(raw["last"]), peak=Decimal(raw["peak"]), day=raw["day"])

    @staticmethod
    def _fields(status: TradingStatus) -> dict[Any, Any]:  # redis-py's hset mapping type is invariant
        return {"state": status.state.value, "reason": status.reason, "since": status.since}

    @staticmethod
    def _mark_fields(mark: EquityMark) -> dict[Any, Any]:
        return {"last": str(mark.last), "peak": str(mark.peak), "day": mark.day}

    def status(self, account_id: str) -> TradingStatus:
        raw: dict[str, str] = self.client.hgetall(self._state_key(account_id))  # type: ignore[assignment]
        return self._parse(raw)

    def set(self, account_id: str, state: TradingState, reason: str, *, at: datetime) -> TradingStatus:
        state_key, equity_key = self._state_key(account_id), self._equity_key(account_id)
        result: list[TradingStatus] = []

        def write(pipe: redis.client.Pipeline) -> None:
            status = _manual(self._parse(pipe.hgetall(state_key)), state, reason, at)  # type: ignore[arg-type]
            mark = self._mark(pipe.hgetall(equity_key)) if state == TradingState.ACTIVE else None  # type: ignore[arg-type]
            pipe.multi()
            pipe.hset(state_key, mapping=self._fields(status))
            if (resumed := _resumed(mark)) is not None:
                pipe.hset(equity_key, mapping=self._mark_fields(resumed))
            result[:] = [status]

        self.client.transaction(write, state_key, equity_key)
        return result[0]

    def observe_equity(
        self, account_id: str, day: date, equity: Decimal, limits: RiskLimits, *, at: datetime
    ) -> TradingStatus:
        state_key, equity_key = self._state_key(account_id), self._equity_key(account_id)
        result: list[TradingStatus] = []

        def check(pipe: redis.client.Pipeline) -> None:
            old_mark = self._mark(pipe.hgetall(equity_key))  # type: ignore[arg-type]
            old_status = self._parse(pipe.hgetall(state_key))  # type: ignore[arg-type]
            mark, status = advance(old_mark, old_status, day, equity, limits, at)
            pipe.multi()
            if mark is not None and mark != old_mark:
                pipe.hset(equity_key, mapping=self._mark_fields(mark))
            if status != old_status:
                pipe.hset(state_key, mapping=self._fields(status))
            result[:] = [status]

        self.client.transaction(check, state_key, equity_key)  # WATCH both: replicas observing at once agree
        return result[0]
