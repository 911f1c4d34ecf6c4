"""Tokens and CNY spent on LLM calls per day, against the daily budget.

The day is Asia/Shanghai's calendar day (DeepSeek bills in CNY, the operator thinks in exchange days). The
ledger lives in the decision store so a restarted process keeps counting. Calls already in flight when the
budget runs out still finish: the overshoot is at most `max_concurrency` calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.llm.settings import LlmSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
CNY_MICRO = Decimal("0.000001")
PER_MILLION = Decimal(1_000_000)


class Usage(BaseModel):
    """Token counts of one call as the server reported them (DeepSeek adds the cache split and reasoning)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)
    cache_hit_tokens: int = Field(0, ge=0)
    reasoning_tokens: int = Field(0, ge=0)

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cache_hit_tokens=self.cache_hit_tokens + other.cache_hit_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )


def cost_cny(usage: Usage, settings: LlmSettings) -> Decimal:
    """Return what `usage` costs at the configured per-million prices, exact to 0.000001 CNY."""
    hit = min(usage.cache_hit_tokens, usage.prompt_tokens)
    total = (
        hit * settings.price_input_hit_cny
        + (usage.prompt_tokens - hit) * settings.price_input_miss_cny
        + usage.completion_tokens * settings.price_output_cny
    ) / PER_MILLION
    return total.quantize(CNY_MICRO)


class SpendLedger(Protocol):
    """Where the day's spending is kept (a decision store)."""

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None: ...

    def spend(self, day: date) -> tuple[int, Decimal]: ...


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


class DailyBudget:
    """The day's token and CNY limits; once either is reached, LLM experts abstain until the next day."""

    def __init__(
        self,
        ledger: SpendLedger,
        *,
        token_limit: int,
        cost_limit: Decimal,
        today: Callable[[], date] = shanghai_today,
    ) -> None:
        self.ledger = ledger
        self.token_limit = token_limit
        self.cost_limit = cost_limit
        self.today = today
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, ledger: SpendLedger, settings: LlmSettings) -> DailyBudget:
        return cls(ledger, token_limit=settings.daily_token_budget, cost_limit=settings.daily_cost_budget_cny)

    def exhausted(self) -> str | None:
        """Return why no further call may be made today, or None while budget remains."""
        day = self.today()
        tokens, cost = self.ledger.spend(day)
        if tokens >= self.token_limit:
            return f"LLM budget exhausted on {day}: {tokens:_} of {self.token_limit:_} tokens used"
        if cost >= self.cost_limit:
            return f"LLM budget exhausted on {day}: {cost} of {self.cost_limit} CNY spent"
        return None

    def charge(self, usage: Usage, cost: Decimal) -> None:
        with self._lock:
            self.ledger.add_spend(self.today(), usage.total, cost)
