"""Each expert's track record by board and regime, point in time, and the gate multipliers it earns (opt-in).

A verdict of row t is scored at TRACK_HORIZON sessions (evaluate.outcomes), a value that exists once row
t + TRACK_HORIZON has closed: a record as of row s counts only verdicts with t + TRACK_HORIZON ≤ s. Abstentions
are not scored. With ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS=true the gate multiplies an expert's weight on a
board in a regime by what its record there earned: 1 + 2·(hit rate − ½), shrunk towards 1 by n/(n + PRIOR)
and kept within [FLOOR, CAP] (router.config.GateWeights.by_track_record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from alphamoe.evaluate.model import ExpertSummary, TrackRecord
from alphamoe.evaluate.scoring import calibration
from alphamoe.router.config import GateWeights, RouterConfig

TRACK_HORIZON = 5
PRIOR = 20.0
"""Pseudo-verdicts at a coin's hit rate: a short record barely moves the weight."""
FLOOR, CAP = 0.25, 1.75


@dataclass(frozen=True)
class ScoredVerdict:
    """One expert's confirm or veto on one pick, with the pick's forward return at TRACK_HORIZON."""

    expert: str
    board: str
    regime: str
    row: int
    confirm: bool
    confidence: float
    forward: float


def track_records(scored: Iterable[ScoredVerdict], *, as_of: int | None = None) -> list[TrackRecord]:
    """Return the records by (expert, board, regime), sorted; `as_of` a row: only outcomes known by then."""
    groups: dict[tuple[str, str, str], list[ScoredVerdict]] = defaultdict(list)
    for s in scored:
        if as_of is not None and s.row + TRACK_HORIZON > as_of:
            continue
        if s.forward != s.forward:  # NaN: the horizon ran past the data
            continue
        groups[(s.expert, s.board, s.regime)].append(s)
    out = []
    for (expert, board, regime), items in sorted(groups.items()):
        rights = [(s.forward > 0) == s.confirm for s in items]
        n = len(items)
        out.append(
            TrackRecord(
                expert=expert,
                board=board,
                regime=regime,
                n=n,
                hit_rate=sum(rights) / n,
                mean_confidence=sum(s.confidence for s in items) / n,
                brier=sum((s.confidence - r) ** 2 for s, r in zip(items, rights, strict=True)) / n,
            )
        )
    return out


def expert_summaries(scored: Iterable[ScoredVerdict]) -> list[ExpertSummary]:
    """Return each expert's hit rate, veto hit rate, Brier score and calibration over every scored verdict."""
    by_expert: dict[str, list[ScoredVerdict]] = defaultdict(list)
    for s in scored:
        if s.forward == s.forward:  # not NaN
            by_expert[s.expert].append(s)
    out = []
    for expert, items in sorted(by_expert.items()):
        confidence = np.array([s.confidence for s in items])
        rights = np.array([(s.forward > 0) == s.confirm for s in items])
        vetoes = np.array([not s.confirm for s in items])
        out.append(
            ExpertSummary(
                expert=expert,
                n=len(items),
                hit_rate=float(rights.mean()),
                vetoes=int(vetoes.sum()),
                veto_hit_rate=float(rights[vetoes].mean()) if vetoes.any() else None,
                brier=float(((confidence - rights) ** 2).mean()),
                calibration=tuple(calibration(confidence, rights)),
            )
        )
    return out


def track_key(board: str, regime: str) -> str:
    """The key of GateWeights.by_track_record: "<board>/<regime>"."""
    return f"{board}/{regime}"


def multiplier(record: TrackRecord) -> float:
    """Return the gate multiplier a record earns (module docstring)."""
    shrink = record.n / (record.n + PRIOR)
    return round(min(CAP, max(FLOOR, 1.0 + shrink * 2.0 * (record.hit_rate - 0.5))), 6)


def track_multipliers(records: Sequence[TrackRecord]) -> dict[str, dict[str, float]]:
    """Return GateWeights.by_track_record: board/regime → expert → multiplier."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for r in records:
        out[track_key(r.board, r.regime)][r.expert] = multiplier(r)
    return {key: dict(sorted(table.items())) for key, table in sorted(out.items())}


def weighted_config(config: RouterConfig, table: dict[str, dict[str, float]]) -> RouterConfig:
    """Return `config` with the gate's `by_track_record` set to `table` (`track_multipliers`)."""
    weights = GateWeights.model_validate({**config.weights.model_dump(), "by_track_record": table})
    return RouterConfig.model_validate({**config.model_dump(), "weights": weights.model_dump()})
