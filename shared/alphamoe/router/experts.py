"""The expert contract: who judges which signals, and the registry the gate picks from."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from alphamoe.errors import ConfigurationError
from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router.features import ROUTER_FEATURES, check_reads
from alphamoe.types import ExpertKind, Verdict

ANY = "*"


class Competence(BaseModel):
    """Strategies and boards (types.Board values) an expert judges; "*" means all."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    strategies: frozenset[str] = frozenset({ANY})
    boards: frozenset[str] = frozenset({ANY})

    def gap(self, signal: SignalGenerated) -> str | None:
        """Return why the expert cannot judge this signal, or None when it can."""
        return self.gap_for(signal.strategy, signal.board.value)

    def gap_for(self, strategy: str, board: str) -> str | None:
        """`gap` of any signal of `strategy` on `board` (a types.Board value)."""
        if ANY not in self.strategies and strategy not in self.strategies:
            return f"not competent for strategy {strategy!r}"
        if ANY not in self.boards and board not in self.boards:
            return f"not competent for board {board!r}"
        return None


@runtime_checkable
class Expert(Protocol):
    """One reviewer of quant signals. It only confirms, vetoes or abstains: it never sizes or orders."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> ExpertKind: ...

    @property
    def competence(self) -> Competence: ...

    @property
    def weight(self) -> float: ...

    @property
    def can_veto(self) -> bool:
        """True if this expert's veto overrules any vote (a hard veto)."""
        ...

    def judge(self, signal: SignalGenerated) -> ExpertOpinion: ...


@runtime_checkable
class Reading(Protocol):
    """An expert that reads the signal's features declares which (`router.features`), checked at start."""

    @property
    def reads(self) -> frozenset[str]: ...


@runtime_checkable
class Situational(Protocol):
    """An expert whose availability changes with the signal or the day (evidence on file, budget left)."""

    def situation_gap(self, signal: SignalGenerated) -> str | None:
        """Return why the gate should pass over this expert for `signal` now, or None when it can judge."""
        ...


def judge_safely(expert: Expert, signal: SignalGenerated) -> ExpertOpinion:
    """Return the expert's opinion; a failing expert abstains, so an error can never confirm a signal."""
    try:
        opinion = expert.judge(signal)
        if opinion.expert != expert.name:
            raise ValueError(f"opinion signed {opinion.expert!r} instead of {expert.name!r}")
        return opinion
    except Exception as exc:  # any expert failure is an abstention, never a crash of the batch
        return ExpertOpinion(
            expert=expert.name,
            kind=expert.kind,
            verdict=Verdict.ABSTAIN,
            confidence=0.0,
            reasoning=f"expert error: {type(exc).__name__}: {exc}",
        )


def counted_kind(expert: Expert, opinion: ExpertOpinion) -> ExpertKind:
    """Return the kind the aggregation counts `opinion` as: the registered expert's, not the opinion's say-so.

    Only symbolic ballots can add to a verdict (router/aggregate.py), so an opinion never counts as more
    symbolic than its expert is registered. One exception, by design: an LLM expert's symbolic form (it had no
    evidence for the model, router/llm.py) counts as symbolic, because our code computed it from the scan's
    features and no model was asked: the opinion says so (kind symbolic, a `fallback` reason) and carries no
    model or call. A model's answer never reaches those fields: only its verdict, confidence and reasons do.
    """
    if expert.kind is ExpertKind.SYMBOLIC:
        return opinion.kind  # symbolic, unless the opinion itself claims to be a model's: count it as one
    symbolic_form = (
        opinion.kind is ExpertKind.SYMBOLIC
        and opinion.fallback is not None
        and opinion.model is None
        and opinion.call_key is None
    )
    return ExpertKind.SYMBOLIC if symbolic_form else expert.kind


def missing_features(features: Mapping[str, float], needed: Iterable[str]) -> tuple[str, ...]:
    """Return the needed features that are absent or not finite (NaN, inf), in the order asked."""
    return tuple(key for key in needed if not math.isfinite(features.get(key, math.nan)))


class ExpertRegistry:
    """Experts by name, fixed at construction; some are registered but unavailable, with the reason.

    An expert reading a feature that neither the router (`router.features.ROUTER_FEATURES`) nor a strategy
    in `features` computes could never be served: the registry refuses it at start, with the names.
    """

    def __init__(
        self,
        experts: Iterable[Expert],
        *,
        unavailable: Mapping[str, str] | None = None,
        features: Iterable[str] = (),
    ) -> None:
        self._experts: dict[str, Expert] = {}
        for expert in experts:
            if expert.name in self._experts:
                raise ConfigurationError(f"expert name {expert.name!r} registered twice; names must be unique")
            self._experts[expert.name] = expert
        reads = {e.name: e.reads for e in self._experts.values() if isinstance(e, Reading)}
        check_reads(reads, (*ROUTER_FEATURES, *features))
        self._unavailable = dict(unavailable or {})
        unknown = sorted(set(self._unavailable) - set(self._experts))
        if unknown:
            raise ConfigurationError(f"unavailable experts {unknown} are not registered")

    def __iter__(self) -> Iterator[Expert]:
        return iter(self._experts.values())

    def __len__(self) -> int:
        return len(self._experts)

    def __contains__(self, name: object) -> bool:
        return name in self._experts

    def get(self, name: str) -> Expert:
        try:
            return self._experts[name]
        except KeyError:
            raise KeyError(f"no expert {name!r}; registered: {sorted(self._experts)}") from None

    @property
    def names(self) -> tuple[str, ...]:
        """Names in registration order."""
        return tuple(self._experts)

    def unavailable_reason(self, name: str) -> str | None:
        """Return why the expert cannot run now, or None when it can."""
        self.get(name)
        return self._unavailable.get(name)

    def available(self) -> tuple[Expert, ...]:
        return tuple(e for e in self._experts.values() if e.name not in self._unavailable)
