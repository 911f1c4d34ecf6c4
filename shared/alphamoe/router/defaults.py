"""The standard panel: three symbolic experts that always run, three LLM experts that run when a model is set."""

from __future__ import annotations

from collections.abc import Iterable

from alphamoe.evidence.provider import EvidenceProvider
from alphamoe.llm.judge import LlmJudge
from alphamoe.router.config import RouterConfig
from alphamoe.router.experts import Expert, ExpertRegistry
from alphamoe.router.llm import LLM_OFF_REASON, SPECS, LlmExpert, llm_expert_slots
from alphamoe.router.symbolic import LiquidityExpert, PriceSentimentExpert, RiskSkepticExpert, TrendExpert


def default_registry(
    config: RouterConfig,
    *,
    llm_enabled: bool,
    judge: LlmJudge | None = None,
    evidence: EvidenceProvider | None = None,
    features: Iterable[str] = (),
) -> ExpertRegistry:
    """Return trend, liquidity and risk_skeptic, then fundamental, sentiment and sector.

    `features` are those the strategies add to the router's own (router/features.py): an expert reading
    one that neither computes is refused here, at start.
    The LLM experts judge through `judge` when `llm_enabled` and a judge is given; otherwise they are
    registered unavailable with the reason, so the day runs on the symbolic experts alone.
    """
    symbolic: tuple[Expert, ...] = (
        TrendExpert(config.trend),
        LiquidityExpert(config.liquidity),
        RiskSkepticExpert(config.risk_skeptic),
    )
    if not llm_enabled or judge is None:
        slots = llm_expert_slots()
        unavailable = {slot.name: LLM_OFF_REASON for slot in slots}
        return ExpertRegistry((*symbolic, *slots), unavailable=unavailable, features=features)
    provider = evidence or EvidenceProvider()
    fallbacks: dict[str, Expert] = {"sentiment": PriceSentimentExpert(config.sentiment)}
    llm = tuple(LlmExpert(spec, judge, provider, fallback=fallbacks.get(spec.name)) for spec in SPECS)
    return ExpertRegistry((*symbolic, *llm), features=features)
