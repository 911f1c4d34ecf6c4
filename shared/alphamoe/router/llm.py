"""Places of the LLM experts (fundamental, sentiment, sector): registered now, run once the LLM client exists.

They hold their gate weight and competence so the gate can record them; they cannot judge yet.
"""

from __future__ import annotations

from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router.experts import Competence
from alphamoe.types import ExpertKind

LLM_OFF_REASON = "LLM experts are off: no ALPHAMOE_LLM_BASE_URL or ALPHAMOE_LLM_API_KEY configured"
LLM_PENDING_REASON = "LLM experts are configured but their client is not built yet"


class LlmExpertSlot:
    """An LLM expert's place in the registry; the registry marks it unavailable, so the gate never selects it."""

    kind = ExpertKind.LLM
    can_veto = False

    def __init__(self, name: str, *, weight: float, competence: Competence | None = None) -> None:
        self.name = name
        self.weight = weight
        self.competence = competence or Competence()

    def judge(self, signal: SignalGenerated) -> ExpertOpinion:
        raise NotImplementedError(f"LLM expert {self.name!r} has no client yet; it must stay unavailable")


def llm_expert_slots() -> tuple[LlmExpertSlot, ...]:
    """Return the fundamental, sentiment and sector experts' places, with their base weights."""
    return (
        LlmExpertSlot("fundamental", weight=0.9),
        LlmExpertSlot("sentiment", weight=0.6),
        LlmExpertSlot("sector", weight=0.7),
    )
