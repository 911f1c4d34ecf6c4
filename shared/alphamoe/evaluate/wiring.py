"""Build the LLM arm from settings: the record, the evidence (anonymised or not), the judge and its budget.

Without `--live` the LLM experts answer from the decision record only; a decision it lacks abstains and is
counted missing. With `--live` the model is asked for what the record lacks, under a budget for this run
(tokens and CNY); an answer already recorded is reused for free, so a run stopped by its budget resumes
where it stopped when run again.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from alphamoe.errors import ConfigurationError
from alphamoe.evaluate.anonymise import AnonymisedEvidence
from alphamoe.evaluate.run import LlmArmInputs
from alphamoe.evidence.identity import PointInTimeNames
from alphamoe.evidence.provider import EvidenceProvider
from alphamoe.evidence.sources import open_evidence
from alphamoe.llm.budget import DailyBudget
from alphamoe.llm.judge import LlmJudge
from alphamoe.llm.settings import record_only
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.stages.route import decision_store
from alphamoe.router.graph import default_router
from alphamoe.settings import Settings

RUN_DAY = date(1970, 1, 1)
"""The run ledger's one day: the budget is per evaluation run, not per calendar day."""


class RunLedger:
    """Tokens and CNY spent by one evaluation run, in memory (the record keeps what each call cost)."""

    def __init__(self) -> None:
        self._tokens = 0
        self._cost = Decimal(0)
        self._lock = threading.Lock()

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None:
        with self._lock:
            self._tokens += tokens
            self._cost += cost

    def spend(self, day: date) -> tuple[int, Decimal]:
        with self._lock:
            return self._tokens, self._cost


def check_live(settings: Settings, live: bool, budget_cny: Decimal | None) -> None:
    """Refuse `--live` without a positive `--budget-cny` or without a model, and a budget without `--live`."""
    if not live:
        if budget_cny is not None:
            raise ConfigurationError("--budget-cny only applies with --live (a replay calls no model)")
        return
    if budget_cny is None or budget_cny <= 0:
        raise ConfigurationError(
            f"--budget-cny must be positive with --live, was {budget_cny}: a budget of 0 would call nothing"
        )
    if settings.llm.base_url is None and settings.llm.api_key is None:
        raise ConfigurationError("--live needs a model: set ALPHAMOE_LLM_BASE_URL or ALPHAMOE_LLM_API_KEY")


def llm_arm_inputs(
    settings: Settings, bars: BarStore, *, anonymised: bool, live: bool, budget_cny: Decimal | None
) -> LlmArmInputs:
    """Return the LLM arm's router over the record at ALPHAMOE_DECISIONS (module docstring)."""
    check_live(settings, live, budget_cny)
    llm = settings.llm
    record = decision_store(settings)
    named = EvidenceProvider(
        open_evidence(settings.data, llm.evidence), max_items=llm.max_evidence_items, names=PointInTimeNames(bars)
    )
    evidence = AnonymisedEvidence(named) if anonymised else named
    if live:
        assert budget_cny is not None  # check_live
        budget = DailyBudget(
            RunLedger(), token_limit=llm.daily_token_budget, cost_limit=budget_cny, today=lambda: RUN_DAY
        )
        judge = LlmJudge(llm, record, budget=budget)  # a recorded answer is reused; a failed call is retried
    else:
        judge = LlmJudge(record_only(llm), record)
    router = default_router(llm_enabled=True, judge=judge, evidence=evidence)
    return LlmArmInputs(router=router, record=record, named_evidence=named, model=llm.model)
