"""Decision store on Redis, shared by every replica of the route function.

Keys: alphamoe:decisions:call:<key> (JSON) · alphamoe:decisions:route:<run_id> (hash symbol → JSON) ·
alphamoe:decisions:spend:<YYYY-MM-DD> (hash tokens, cost_micro_cny; HINCRBY keeps it exact and atomic) ·
alphamoe:decisions:refusals:<YYYY-MM-DD> (hash reason code → refused LLM answers).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alphamoe.decisions.record import CallRecord, RouteTrail
from alphamoe.kv.client import connect

PREFIX = "alphamoe:decisions:"
MICRO = Decimal("0.000001")


class RedisDecisionStore:
    """Decisions in Redis at `url`; the connection is checked when the store opens."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis = connect(url)

    @property
    def location(self) -> str:
        return self.url

    def get_call(self, key: str) -> CallRecord | None:
        text = self._redis.get(f"{PREFIX}call:{key}")
        return CallRecord.model_validate_json(text) if text else None

    def put_call(self, record: CallRecord) -> None:
        self._redis.set(f"{PREFIX}call:{record.key}", record.model_dump_json())

    def put_route(self, trail: RouteTrail) -> None:
        self._redis.hset(f"{PREFIX}route:{trail.run_id}", trail.routed.signal.symbol, trail.model_dump_json())

    def get_route(self, run_id: str, symbol: str) -> RouteTrail | None:
        text = self._redis.hget(f"{PREFIX}route:{run_id}", symbol)
        return RouteTrail.model_validate_json(text) if text else None

    def route_symbols(self, run_id: str) -> list[str]:
        return sorted(str(k) for k in self._redis.hkeys(f"{PREFIX}route:{run_id}"))

    def route_runs(self) -> list[str]:
        return sorted(str(k)[len(f"{PREFIX}route:") :] for k in self._redis.scan_iter(match=f"{PREFIX}route:*"))

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None:
        key = f"{PREFIX}spend:{day.isoformat()}"
        pipe = self._redis.pipeline()
        pipe.hincrby(key, "tokens", tokens)
        pipe.hincrby(key, "cost_micro_cny", int((cost / MICRO).to_integral_value()))
        pipe.execute()

    def spend(self, day: date) -> tuple[int, Decimal]:
        data = self._redis.hgetall(f"{PREFIX}spend:{day.isoformat()}")
        return int(data.get("tokens", 0)), Decimal(int(data.get("cost_micro_cny", 0))) * MICRO

    def add_refusal(self, day: date, code: str) -> None:
        self._redis.hincrby(f"{PREFIX}refusals:{day.isoformat()}", code, 1)

    def refusals(self, day: date) -> dict[str, int]:
        data = self._redis.hgetall(f"{PREFIX}refusals:{day.isoformat()}")
        return {str(k): int(v) for k, v in data.items()}
