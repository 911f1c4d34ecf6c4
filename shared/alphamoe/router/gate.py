"""The gate: which experts review a signal, and how much each one's vote weighs."""

from __future__ import annotations

from collections.abc import Callable

from alphamoe.events.payloads import GateChoice, SignalGenerated
from alphamoe.router.config import GateWeights, RouterConfig
from alphamoe.router.experts import Expert, ExpertRegistry
from alphamoe.types import ExpertKind


def expert_weight(expert: Expert, signal: SignalGenerated, weights: GateWeights, regime: str) -> tuple[float, str]:
    """Return the expert's weight for this signal and regime, and how it was built (for the audit trail)."""
    return weight_for(expert, signal.strategy, signal.board.value, weights, regime)


def weight_for(expert: Expert, strategy: str, board: str, weights: GateWeights, regime: str) -> tuple[float, str]:
    """`expert_weight` for any signal of `strategy` on `board` (a types.Board value)."""
    base = weights.base.get(expert.name, expert.weight)
    weight = base
    terms = [f"base {base:.2f}"]
    for label, table in (
        (f"strategy {strategy}", weights.by_strategy.get(strategy)),
        (f"board {board}", weights.by_board.get(board)),
        (f"regime {regime}", weights.by_regime.get(regime)),
        (f"track record {board}/{regime}", weights.by_track_record.get(f"{board}/{regime}")),
    ):
        multiplier = (table or {}).get(expert.name)
        if multiplier is not None:
            weight *= multiplier
            terms.append(f"{label} ×{multiplier:.2f}")
    return weight, " × ".join(terms)


def choose_experts(
    signal: SignalGenerated, registry: ExpertRegistry, config: RouterConfig, *, regime: str = "unknown"
) -> tuple[GateChoice, ...]:
    """Return one choice per registered expert: the top-k available, competent ones by weight are selected.

    An LLM expert joins the panel, never displaces a symbolic one: the symbolic experts that would be the
    top k without any LLM expert are selected too, whatever their rank. So the symbolic ballots of a signal
    are those of the same day without a model, and the aggregation's rule that LLM experts only subtract
    (router/aggregate.py) bounds the verdict by that panel: an LLM expert pushing out a symbolic veto (e.g.
    liquidity's, 0.8, behind fundamental's 0.9) would otherwise turn it into a confirm.

    Ties break by name, so the choice is deterministic. Selected experts come first, by rank; the others
    follow in registration order, each with why it was left out.
    """

    def situation(expert: Expert) -> str | None:
        situation_gap = getattr(expert, "situation_gap", None)  # Situational; getattr: isinstance on a Protocol is slow
        return None if situation_gap is None else situation_gap(signal)

    return gate_for(signal.strategy, signal.board.value, registry, config, regime=regime, situation=situation)


def gate_for(
    strategy: str,
    board: str,
    registry: ExpertRegistry,
    config: RouterConfig,
    *,
    regime: str = "unknown",
    situation: Callable[[Expert], str | None] | None = None,
) -> tuple[GateChoice, ...]:
    """`choose_experts` for a signal of `strategy` on `board`; `situation` says why an expert passes now.

    Without `situation` (no Situational expert available) the choice is the same for every signal of the
    strategy and board: a batch of them needs it once (router/panel.py).
    """
    left_out: dict[str, GateChoice] = {}
    ranked: list[tuple[float, str, str]] = []
    for expert in registry:
        reason = registry.unavailable_reason(expert.name) or expert.competence.gap_for(strategy, board)
        if reason is None and situation is not None:
            reason = situation(expert)
        if reason is not None:
            left_out[expert.name] = GateChoice(expert=expert.name, weight=0.0, selected=False, why=reason)
            continue
        weight, terms = weight_for(expert, strategy, board, config.weights, regime)
        if weight <= 0:
            why = f"weight 0 ({terms}): switched off here"
            left_out[expert.name] = GateChoice(expert=expert.name, weight=0.0, selected=False, why=why)
            continue
        ranked.append((weight, expert.name, terms))
    ranked.sort(key=lambda entry: (-entry[0], entry[1]))
    symbolic = [name for _, name, _ in ranked if registry.get(name).kind is ExpertKind.SYMBOLIC]
    symbolic_seats = frozenset(symbolic[: config.top_k])
    selected: list[GateChoice] = []
    for rank, (weight, name, terms) in enumerate(ranked, start=1):
        why = f"rank {rank} of {len(ranked)}, weight {weight:.2f} = {terms}"
        if rank <= config.top_k:
            selected.append(GateChoice(expert=name, weight=weight, selected=True, why=why))
        elif name in symbolic_seats:
            why += f": outside the top {config.top_k}, kept as a symbolic seat (LLM experts never displace one)"
            selected.append(GateChoice(expert=name, weight=weight, selected=True, why=why))
        else:
            left_out[name] = GateChoice(
                expert=name, weight=weight, selected=False, why=f"{why}: outside the top {config.top_k}"
            )
    return (*selected, *(left_out[name] for name in registry.names if name in left_out))
