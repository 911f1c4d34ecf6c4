"""The standard panel of experts: three symbolic ones that always run, three LLM ones that wait for a client."""

from __future__ import annotations

from alphamoe.router.config import RouterConfig
from alphamoe.router.experts import Expert, ExpertRegistry
from alphamoe.router.llm import LLM_OFF_REASON, LLM_PENDING_REASON, llm_expert_slots
from alphamoe.router.symbolic import LiquidityExpert, RiskSkepticExpert, TrendExpert


def default_registry(config: RouterConfig, *, llm_enabled: bool) -> ExpertRegistry:
    """Return trend, liquidity and risk_skeptic (available) and the LLM experts (unavailable, with why).

    `llm_enabled` says whether the LLM endpoint and key are configured; the caller reads settings, not us.
    """
    symbolic: tuple[Expert, ...] = (
        TrendExpert(config.trend),
        LiquidityExpert(config.liquidity),
        RiskSkepticExpert(config.risk_skeptic),
    )
    slots = llm_expert_slots()
    reason = LLM_PENDING_REASON if llm_enabled else LLM_OFF_REASON
    return ExpertRegistry((*symbolic, *slots), unavailable={slot.name: reason for slot in slots})
