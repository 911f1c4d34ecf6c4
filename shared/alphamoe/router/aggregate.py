"""Combine the selected experts' opinions into the router's verdict on one signal.

Rules, in order:
1. A veto from an expert that `can_veto` wins (a hard veto); confidence = the highest such veto's.
2. Only confirm and veto votes count; if every expert abstained (or none was selected) → abstain, 0.
3. Weighted vote with the gate's weights: confirm share = confirm weight / (confirm + veto weight).
   confirm if the confirm share ≥ threshold and at least one expert confirmed;
   veto if the veto share (1 − confirm share) ≥ threshold;
   otherwise the experts disagree: abstain, 0.
   Confidence of a confirm (veto) = weighted mean confidence of the confirming (vetoing) experts × their
   share, so a split vote is never as sure as a unanimous one.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.events.payloads import ExpertOpinion, GateChoice, Probability
from alphamoe.types import Verdict


class Ballot(BaseModel):
    """One selected expert's opinion with the weight the gate gave it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    opinion: ExpertOpinion
    weight: float = Field(ge=0)
    can_veto: bool = False


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    verdict: Verdict
    confidence: Probability
    reasoning_summary: str = Field(min_length=1)


def _weighted_mean_confidence(ballots: Sequence[Ballot]) -> float:
    total = sum(b.weight for b in ballots)
    return sum(b.weight * b.opinion.confidence for b in ballots) / total if total > 0 else 0.0


def _summary(verdict: Verdict, confidence: float, note: str, parts: Sequence[str]) -> str:
    head = f"{verdict.value} {confidence:.2f}" + (f" ({note})" if note else "")
    return f"{head} — {'; '.join(parts)}"


def aggregate(ballots: Sequence[Ballot], *, confirm_threshold: float, gate: Sequence[GateChoice] = ()) -> Decision:
    """Return the verdict, its confidence and a one-line summary naming each expert and what it said.

    `gate` only explains an empty panel: with no ballot the summary says why each expert was left out.
    """
    if not ballots:
        parts = [f"{c.expert}: {c.why}" for c in gate] or ["no expert registered"]
        return Decision(
            verdict=Verdict.ABSTAIN,
            confidence=0.0,
            reasoning_summary=_summary(Verdict.ABSTAIN, 0.0, "no expert selected", parts),
        )
    parts = [f"{b.opinion.expert}: {b.opinion.verdict.value} ({b.opinion.reasoning})" for b in ballots]
    confirms = [b for b in ballots if b.opinion.verdict is Verdict.CONFIRM]
    vetoes = [b for b in ballots if b.opinion.verdict is Verdict.VETO]
    hard_vetoes = [b for b in vetoes if b.can_veto]

    verdict, confidence, note = Verdict.ABSTAIN, 0.0, ""
    confirm_weight = sum(b.weight for b in confirms)
    voting_weight = confirm_weight + sum(b.weight for b in vetoes)
    if hard_vetoes:
        verdict = Verdict.VETO
        confidence = max(b.opinion.confidence for b in hard_vetoes)
        note = "hard veto by " + ", ".join(b.opinion.expert for b in hard_vetoes)
    elif voting_weight <= 0:
        note = "every expert abstained"
    else:
        confirm_share = confirm_weight / voting_weight
        if confirms and confirm_share >= confirm_threshold:
            verdict, confidence = Verdict.CONFIRM, _weighted_mean_confidence(confirms) * confirm_share
        elif vetoes and 1 - confirm_share >= confirm_threshold:
            verdict, confidence = Verdict.VETO, _weighted_mean_confidence(vetoes) * (1 - confirm_share)
        else:
            note = f"split vote: confirm share {confirm_share:.0%} under {confirm_threshold:.0%}"
    confidence = min(1.0, max(0.0, confidence))
    return Decision(
        verdict=verdict, confidence=confidence, reasoning_summary=_summary(verdict, confidence, note, parts)
    )
