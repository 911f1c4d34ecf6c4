"""The symbolic panel over a whole batch of signals at once: the live router's verdicts, vectorised.

A backtest routes hundreds of thousands of picks; the live `Router` builds a gate, three opinions, three
ballots and a decision (pydantic models) for each, ~0.24 ms a pick. Without a model every expert is
symbolic, so the gate depends only on the signal's strategy and board (router/gate.py `gate_for`) and each
expert's opinion on its features alone: the gate is chosen once per (strategy, board), each expert judges
the batch as arrays (`SymbolicExpert.assess_batch`) and the vote below is `aggregate._vote` over arrays.
Verdicts and confidences are the same floats as the live router's (tested signal by signal); each pick's
reasoning summary is built by the live code (`aggregate`) when it is read, since a backtest reads few.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from math import fsum
from typing import overload

import numpy as np
import numpy.typing as npt

from alphamoe.events.payloads import GateChoice
from alphamoe.router.aggregate import Ballot, aggregate
from alphamoe.router.config import RouterConfig
from alphamoe.router.experts import ExpertRegistry, Situational, counted_kind
from alphamoe.router.gate import gate_for
from alphamoe.router.symbolic import ABSTAIN, CONFIRM, VETO, Codes, FloatArray, SymbolicExpert

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PanelVerdicts:
    """The panel's word on each signal of a batch: verdict codes (symbolic.VERDICT_CODES), confidences, summaries."""

    verdict: Codes
    confidence: FloatArray
    summaries: Sequence[str]


class SymbolicPanel:
    """The live router's symbolic panel (same registry, config and regime), judging a batch as arrays.

    Only for a registry whose available experts are all `SymbolicExpert`s (`supports`): an LLM or a
    situational expert judges one signal at a time, so such a panel routes through the live `Router`.
    """

    def __init__(self, registry: ExpertRegistry, config: RouterConfig | None = None, *, regime: str = "unknown"):
        if not self.supports(registry):
            raise ValueError("the vectorised panel judges symbolic experts only; route the others through Router")
        self.registry = registry
        self.config = config or RouterConfig()
        self.regime = regime

    @staticmethod
    def supports(registry: ExpertRegistry) -> bool:
        experts = registry.available()
        return all(isinstance(e, SymbolicExpert) and not isinstance(e, Situational) for e in experts)

    def route(
        self, features: Mapping[str, FloatArray], strategies: Sequence[str], boards: Sequence[str]
    ) -> PanelVerdicts:
        """Return the verdict on each of K signals: `features` holds K values a key (NaN: missing), then each
        signal's strategy and board (a types.Board value)."""
        n = len(strategies)
        verdict = np.full(n, ABSTAIN, dtype=np.int8)
        confidence = np.zeros(n)
        groups: dict[tuple[str, str], list[int]] = {}
        for k, key in enumerate(zip(strategies, boards, strict=True)):
            groups.setdefault(key, []).append(k)
        gates: dict[tuple[str, str], tuple[GateChoice, ...]] = {}
        for (strategy, board), members in groups.items():
            gate = gate_for(strategy, board, self.registry, self.config, regime=self.regime)
            gates[strategy, board] = gate
            at = np.asarray(members, dtype=np.int64)
            verdict[at], confidence[at] = self._vote(gate, {key: values[at] for key, values in features.items()})
        summaries = _Summaries(self, features, list(zip(strategies, boards, strict=True)), gates, n)
        return PanelVerdicts(verdict, confidence, summaries)

    def opinions(
        self, gate: Sequence[GateChoice], features: Mapping[str, FloatArray]
    ) -> list[tuple[Codes, FloatArray]]:
        """Each selected expert's (codes, confidences) in the gate's order; a missing feature: abstain, 0."""
        n = len(next(iter(features.values()))) if features else 0
        out = []
        for choice in gate:
            if not choice.selected:
                continue
            expert = self.expert(choice.expert)
            served = np.ones(n, dtype=bool)
            for key in expert.needs:
                served &= np.isfinite(features[key]) if key in features else False
            codes, conf = np.full(n, ABSTAIN, dtype=np.int8), np.zeros(n)
            if served.any():
                codes[served], conf[served] = expert.assess_batch({key: features[key][served] for key in expert.needs})
            out.append((codes, conf))
        return out

    def expert(self, name: str) -> SymbolicExpert:
        """The registered symbolic expert `name`."""
        expert = self.registry.get(name)
        assert isinstance(expert, SymbolicExpert)  # `supports` checked every available one
        return expert

    def _vote(self, gate: Sequence[GateChoice], features: Mapping[str, FloatArray]) -> tuple[Codes, FloatArray]:
        # aggregate._vote over arrays: every signal with the same ballot pattern (each expert's verdict)
        # shares the vote's branch and weights, so only the confidences are per signal
        selected = [c for c in gate if c.selected]
        n = len(next(iter(features.values()))) if features else 0
        verdict, confidence = np.full(n, ABSTAIN, dtype=np.int8), np.zeros(n)
        if not selected:
            return verdict, confidence  # no expert selected: abstain, 0
        opinions = self.opinions(gate, features)
        codes = np.stack([c for c, _ in opinions])  # experts × signals
        confs = np.stack([c for _, c in opinions])
        weights = [c.weight for c in selected]
        can_veto = [self.expert(c.expert).can_veto for c in selected]
        keys = np.zeros(n, dtype=np.int64)  # the ballot pattern as one base-3 number, a digit per expert
        for row in codes:
            keys = keys * 3 + row
        threshold = self.config.confirm_threshold
        for key in np.unique(keys).tolist():
            pattern = [(key // 3 ** (len(selected) - 1 - j)) % 3 for j in range(len(selected))]
            at = keys == key
            confirms = [j for j, v in enumerate(pattern) if v == CONFIRM]
            vetoes = [j for j, v in enumerate(pattern) if v == VETO]
            hard = [j for j in vetoes if can_veto[j]]
            voting_weight = fsum(weights[j] for j in [*confirms, *vetoes])
            if hard:
                verdict[at] = VETO
                confidence[at] = np.clip(np.max(confs[hard][:, at], axis=0), 0.0, 1.0)
                continue
            if voting_weight <= 0:
                continue  # every expert abstained: abstain, 0
            confirm_share = fsum(weights[j] for j in confirms) / voting_weight
            if confirms and confirm_share >= threshold:
                verdict[at] = CONFIRM
                confidence[at] = np.clip(_weighted_mean(confirms, weights, confs[:, at]) * confirm_share, 0.0, 1.0)
            elif vetoes and 1 - confirm_share >= threshold:
                verdict[at] = VETO
                share = 1 - confirm_share
                confidence[at] = np.clip(_weighted_mean(vetoes, weights, confs[:, at]) * share, 0.0, 1.0)
        return verdict, confidence


def _weighted_mean(members: list[int], weights: list[float], confs: FloatArray) -> FloatArray:
    # aggregate._weighted_mean_confidence per signal: fsum of the products over fsum of the weights. One or
    # two terms: a float addition is already exactly rounded, so NumPy gives fsum's float; more: fsum itself
    total = fsum(weights[j] for j in members)
    products = [weights[j] * confs[j] for j in members]
    if len(products) <= 2:
        summed = products[0] if len(products) == 1 else products[0] + products[1]
    else:
        summed = np.array([fsum(column) for column in zip(*(p.tolist() for p in products), strict=True)])
    out: FloatArray = summed / total if total > 0 else np.zeros(confs.shape[1])
    return out


class _Summaries(Sequence[str]):
    """Each signal's reasoning summary, built by the live aggregation when read (a backtest reads few)."""

    def __init__(
        self,
        panel: SymbolicPanel,
        features: Mapping[str, FloatArray],
        keys: list[tuple[str, str]],
        gates: dict[tuple[str, str], tuple[GateChoice, ...]],
        n: int,
    ) -> None:
        self._panel, self._features, self._keys, self._gates, self._n = panel, features, keys, gates, n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, k: int) -> str: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[str]: ...
    def __getitem__(self, k: int | slice) -> str | Sequence[str]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._n))]
        if not -self._n <= k < self._n:
            raise IndexError(k)
        k %= self._n
        gate = self._gates[self._keys[k]]
        row = {key: float(values[k]) for key, values in self._features.items() if math.isfinite(values[k])}
        ballots = []
        for choice in gate:
            if choice.selected:
                expert = self._panel.expert(choice.expert)
                opinion = expert.opinion(row)
                kind = counted_kind(expert, opinion)
                # every field comes validated (the opinion, the gate's weight): build the ballot without re-checking
                ballot = Ballot.model_construct(
                    opinion=opinion, weight=choice.weight, kind=kind, can_veto=expert.can_veto
                )
                ballots.append(ballot)
        confirm_threshold = self._panel.config.confirm_threshold
        return aggregate(ballots, confirm_threshold=confirm_threshold, gate=gate).reasoning_summary

    def __iter__(self) -> Iterator[str]:
        return (self[k] for k in range(self._n))
