"""What is recorded of one LLM expert call and of one routed signal.

A call's key is what makes its answer reusable: the expert, the model, the prompt (template) hash and the
point-in-time input hash. No run id is part of it, so a replay or a backtest of the same day answers
from the record; a run's route trail names the keys of the calls it used.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.events.payloads import SignalRouted
from alphamoe.llm.budget import Usage
from alphamoe.llm.client import Attempt
from alphamoe.llm.verdict import Citation, Refusal
from alphamoe.types import Verdict

ANSWERED = frozenset({"ok", "repaired", "invalid"})
"""Outcomes where the model did answer: a live run reuses them; transport failures are tried again."""


def call_key(expert: str, model: str, prompt_hash: str, input_hash: str) -> str:
    """Return the cache key of one expert call."""
    return hashlib.sha256(f"{expert}\n{model}\n{prompt_hash}\n{input_hash}".encode()).hexdigest()


class CallRecord(BaseModel):
    """One LLM expert call: what was asked, what came back (content and reasoning), what it cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    key: str = Field(pattern=r"^[0-9a-f]{64}$")
    expert: str
    model: str
    prompt_hash: str
    input_hash: str
    trading_day: date
    signal_id: str
    symbol: str
    prompt: str = Field(description="the user message as sent: the point-in-time evidence")
    response: str | None = Field(description="the final answer's content")
    reasoning: str | None = Field(description="the final answer's reasoning_content (chain of thought)")
    repaired_from: str | None = Field(None, description="the invalid first answer, when a repair was asked")
    usage: Usage
    cost_cny: Decimal
    latency_ms: float = Field(ge=0)
    attempts: tuple[Attempt, ...]
    outcome: str = Field(description="ok | repaired | invalid | timeout | rate_limited | server_error | …")
    verdict: Verdict
    confidence: float = Field(ge=0, le=1)
    reasons: tuple[str, ...]
    dropped_keys: tuple[str, ...] = Field((), description="keys the model added beyond the verdict schema")
    about: str | None = Field(None, description="the company the answer says it judged")
    citations: tuple[Citation, ...] = Field((), description="the evidence the answer cites")
    refusal: Refusal | None = Field(
        None, description="why the router did not count the answer (router.grounding); the expert abstained"
    )
    detail: str = ""
    anonymised: bool = Field(False, description="the prompt hid names, codes and dates (evaluate --anonymise)")
    recorded_at: datetime

    @property
    def answered(self) -> bool:
        return self.outcome in ANSWERED


class RouteTrail(BaseModel):
    """The router's whole decision on one signal in one run: gate choices, opinions, verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    run_id: str
    routed: SignalRouted
    recorded_at: datetime
