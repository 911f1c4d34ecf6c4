"""Combine the selected experts' opinions into the router's verdict on one signal.

Rules of the vote, in order:
1. A veto from an expert that `can_veto` wins (a hard veto); confidence = the highest such veto's.
2. Only confirm and veto votes count; if every expert abstained (or none was selected) → abstain, 0.
3. Weighted vote with the gate's weights: confirm share = confirm weight / (confirm + veto weight).
   confirm if the confirm share ≥ threshold and at least one expert confirmed;
   veto if the veto share (1 − confirm share) ≥ threshold;
   otherwise the experts disagree: abstain, 0.
   Confidence of a confirm (veto) = weighted mean confidence of the confirming (vetoing) experts × their
   share, so a split vote is never as sure as a unanimous one.

LLM experts can only subtract (DESIGN.md §5): the same vote runs twice, over every ballot and over the
symbolic ballots alone, and the verdict is the less permissive of the two (veto < abstain < confirm). So an
LLM verdict can veto, abstain or lower the confidence; it never turns a symbolic veto or abstention into a
confirm, and a confirm's confidence (which sizing scales with) never exceeds the symbolic panel's. A ballot's
kind is set by the router from the registry (`router.experts.counted_kind`), never from what a model wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import fsum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.events.payloads import ExpertOpinion, GateChoice, Probability
from alphamoe.types import ExpertKind, Verdict


class Ballot(BaseModel):
    """One selected expert's opinion with the weight the gate gave it and the kind it counts as."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    opinion: ExpertOpinion
    weight: float = Field(ge=0)
    kind: ExpertKind = Field(description="from the registry, not the opinion: only symbolic ballots can add")
    can_veto: bool = False


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    verdict: Verdict
    confidence: Probability
    reasoning_summary: str = Field(min_length=1)


class _Vote(NamedTuple):
    verdict: Verdict
    confidence: float
    note: str


_PERMISSIVENESS = {Verdict.VETO: 0, Verdict.ABSTAIN: 1, Verdict.CONFIRM: 2}


def _weighted_mean_confidence(ballots: Sequence[Ballot]) -> float:
    # math.fsum is exactly rounded, so the result does not depend on the ballots' order (a panel's symbolic
    # ballots, taken out of the whole panel in its order, vote exactly as the symbolic panel alone)
    total = fsum(b.weight for b in ballots)
    return fsum(b.weight * b.opinion.confidence for b in ballots) / total if total > 0 else 0.0


def _summary(verdict: Verdict, confidence: float, note: str, parts: Sequence[str]) -> str:
    head = f"{verdict.value} {confidence:.2f}" + (f" ({note})" if note else "")
    return f"{head} — {'; '.join(parts)}"


def _vote(ballots: Sequence[Ballot], confirm_threshold: float) -> _Vote:
    # rules 1–3 of the module docstring over these ballots
    confirms = [b for b in ballots if b.opinion.verdict is Verdict.CONFIRM]
    vetoes = [b for b in ballots if b.opinion.verdict is Verdict.VETO]
    hard_vetoes = [b for b in vetoes if b.can_veto]
    confirm_weight = fsum(b.weight for b in confirms)
    voting_weight = fsum(b.weight for b in [*confirms, *vetoes])
    if hard_vetoes:
        note = "hard veto by " + ", ".join(b.opinion.expert for b in hard_vetoes)
        return _Vote(Verdict.VETO, _clip(max(b.opinion.confidence for b in hard_vetoes)), note)
    if voting_weight <= 0:
        return _Vote(Verdict.ABSTAIN, 0.0, "every expert abstained" if ballots else "no symbolic expert on the panel")
    confirm_share = confirm_weight / voting_weight
    if confirms and confirm_share >= confirm_threshold:
        return _Vote(Verdict.CONFIRM, _clip(_weighted_mean_confidence(confirms) * confirm_share), "")
    if vetoes and 1 - confirm_share >= confirm_threshold:
        return _Vote(Verdict.VETO, _clip(_weighted_mean_confidence(vetoes) * (1 - confirm_share)), "")
    return _Vote(Verdict.ABSTAIN, 0.0, f"split vote: confirm share {confirm_share:.0%} under {confirm_threshold:.0%}")


def _clip(confidence: float) -> float:
    return min(1.0, max(0.0, confidence))


def _only_subtract(panel: _Vote, symbolic: _Vote) -> _Vote:
    # the less permissive vote; on two confirms the lower confidence, on two vetoes the whole panel's (an LLM
    # may add to a veto); the note says when the symbolic experts bounded the LLM experts
    if _PERMISSIVENESS[panel.verdict] < _PERMISSIVENESS[symbolic.verdict]:
        return panel
    if panel.verdict is Verdict.CONFIRM and symbolic.verdict is Verdict.CONFIRM:
        if panel.confidence <= symbolic.confidence:
            return panel
        return _Vote(
            Verdict.CONFIRM,
            symbolic.confidence,
            f"LLM experts cannot raise: capped at symbolic {symbolic.confidence:.2f}",
        )
    if panel.verdict is symbolic.verdict:
        return panel
    because = f": {symbolic.note}" if symbolic.note else ""
    return _Vote(
        symbolic.verdict,
        symbolic.confidence,
        f"LLM experts cannot overturn the symbolic experts' {symbolic.verdict.value}{because}",
    )


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
    vote = _vote(ballots, confirm_threshold)
    if any(b.kind is not ExpertKind.SYMBOLIC for b in ballots):
        symbolic = [b for b in ballots if b.kind is ExpertKind.SYMBOLIC]
        vote = _only_subtract(vote, _vote(symbolic, confirm_threshold))
    return Decision(
        verdict=vote.verdict,
        confidence=vote.confidence,
        reasoning_summary=_summary(vote.verdict, vote.confidence, vote.note, parts),
    )
