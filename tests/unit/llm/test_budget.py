"""Cost in CNY from DeepSeek's usage, and the daily budget after which LLM experts abstain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from alphamoe.decisions.folder import FolderDecisionStore
from alphamoe.llm.budget import DailyBudget, Usage, cost_cny
from alphamoe.llm.settings import LlmSettings


def test_cost_cny_when_r1_prices_then_exact_per_million() -> None:
    # 1M prompt tokens of which 250k cached, 100k out: 0.25×1 + 0.75×4 + 0.1×16 = 4.85 CNY
    usage = Usage(prompt_tokens=1_000_000, cache_hit_tokens=250_000, completion_tokens=100_000)

    assert cost_cny(usage, LlmSettings()) == Decimal("4.850000")


def test_cost_cny_when_small_call_then_rounded_to_micro_cny() -> None:
    usage = Usage(prompt_tokens=527, cache_hit_tokens=192, completion_tokens=60)

    # 192×1 + 335×4 + 60×16 = 2492 millionths of a CNY
    assert cost_cny(usage, LlmSettings()) == Decimal("0.002492")


def test_daily_budget_when_tokens_reach_limit_then_exhausted_until_next_day(tmp_path: Path) -> None:
    today = [date(2026, 3, 2)]
    budget = DailyBudget(
        FolderDecisionStore(tmp_path), token_limit=1_000, cost_limit=Decimal("10"), today=lambda: today[0]
    )
    assert budget.exhausted() is None

    budget.charge(Usage(prompt_tokens=900, completion_tokens=100), Decimal("0.01"))

    assert "1_000 of 1_000 tokens" in (budget.exhausted() or "")
    today[0] = date(2026, 3, 3)
    assert budget.exhausted() is None


def test_daily_budget_when_cost_reaches_limit_then_exhausted(tmp_path: Path) -> None:
    budget = DailyBudget(
        FolderDecisionStore(tmp_path), token_limit=10**9, cost_limit=Decimal("0.05"), today=lambda: date(2026, 3, 2)
    )
    budget.charge(Usage(prompt_tokens=10), Decimal("0.03"))
    assert budget.exhausted() is None

    budget.charge(Usage(prompt_tokens=10), Decimal("0.02"))

    assert "0.050000 of 0.05 CNY" in (budget.exhausted() or "")


def test_daily_budget_when_store_reopened_then_spending_survives(tmp_path: Path) -> None:
    day = date(2026, 3, 2)
    DailyBudget(FolderDecisionStore(tmp_path), token_limit=100, cost_limit=Decimal(1), today=lambda: day).charge(
        Usage(prompt_tokens=60, completion_tokens=40), Decimal("0.000123")
    )

    assert FolderDecisionStore(tmp_path).spend(day) == (100, Decimal("0.000123"))
