"""Router(Experts) as a LangGraph: gate → one parallel node per selected expert (Send) → aggregate.

The graph is compiled once per Router and runs without a checkpointer: routing is a pure function of
the signals, the registry, the config and the regime.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from alphamoe.events.payloads import ExpertOpinion, GateChoice, SignalGenerated, SignalRouted
from alphamoe.evidence.provider import EvidenceProvider
from alphamoe.llm.judge import LlmJudge
from alphamoe.router.aggregate import Ballot, aggregate
from alphamoe.router.config import RouterConfig
from alphamoe.router.defaults import default_registry
from alphamoe.router.experts import Expert, ExpertRegistry, counted_kind, judge_safely
from alphamoe.router.gate import choose_experts
from alphamoe.types import ExpertKind

_GATE = "gate"
_AGGREGATE = "aggregate"


class _BatchState(TypedDict, total=False):
    signals: list[SignalGenerated]
    regime: str
    gates: list[tuple[GateChoice, ...]]  # by position in `signals`
    opinions: Annotated[list[tuple[int, ExpertOpinion]], operator.add]  # (position, opinion)
    routed: list[SignalRouted]


class _ExpertTask(TypedDict):
    items: list[tuple[int, SignalGenerated]]  # (position in the batch, signal) judged by one expert


def _node_name(expert_name: str) -> str:
    return f"expert.{expert_name}"


class _ExpertNode:
    # one graph node per expert; a failing expert abstains inside judge_safely
    def __init__(self, expert: Expert) -> None:
        self.expert = expert

    def __call__(self, state: _ExpertTask) -> _BatchState:
        return {"opinions": [(position, judge_safely(self.expert, signal)) for position, signal in state["items"]]}


class Router:
    """Route quant signals through the expert panel; the verdict can confirm, veto or abstain, never order.

    One graph invocation routes a whole batch: the gate picks experts per signal, then the fan-out sends
    each LLM expert one Send per signal (calls that wait on the network run in parallel, at most
    `concurrency` threads) and each symbolic expert one Send with all its signals (microseconds each: a
    Send per signal would cost more in LangGraph's bookkeeping than the judging), and the aggregate node
    rules on every signal. One invocation per batch (of up to
    `signals_per_invocation`) rather than per signal pays LangGraph's per-invocation overhead (a thread
    pool, a few supersteps) once, not once per signal.
    """

    def __init__(self, registry: ExpertRegistry, config: RouterConfig | None = None, *, concurrency: int = 0) -> None:
        """`concurrency` raises the thread count above `config.max_workers`, e.g. to keep LLM calls in flight."""
        self.registry = registry
        self.config = config or RouterConfig()
        self.concurrency = max(self.config.max_workers, concurrency)
        self._graph = self._compile()

    def route(self, signal: SignalGenerated, *, regime: str = "unknown") -> SignalRouted:
        """Return the panel's verdict on one signal; `regime` is the market regime the gate weighs by."""
        return self.route_batch([signal], regime=regime)[0]

    def route_batch(self, signals: Sequence[SignalGenerated], *, regime: str = "unknown") -> list[SignalRouted]:
        """Return the verdicts on a day's signals, sorted by signal_id (input order among equal ids)."""
        routed: list[SignalRouted] = []
        step = self.config.signals_per_invocation
        for start in range(0, len(signals), step):
            state: _BatchState = {"signals": list(signals[start : start + step]), "regime": regime}
            routed += self._invoke(state)
        return sorted(routed, key=lambda r: r.signal.signal_id)

    def _invoke(self, state: _BatchState) -> list[SignalRouted]:
        """Run the graph on one batch. When the gate selects no LLM expert, its nodes run in order here.

        The graph's parallel fan-out pays for itself only while experts wait on the network. A symbolic-only
        batch (every signal over HTTP arrives alone) judges in microseconds, while a LangGraph invocation
        costs ~10 ms (thread pool, supersteps). So the same node functions run in order here: gate →
        each Send's expert node → aggregate, with the same verdicts (tested against `_graph.invoke`).
        """
        gated: _BatchState = {**state, **self._gate(state)}
        tasks = self._fan_out(gated)
        if isinstance(tasks, list) and any(self._nodes[task.node].expert.kind is ExpertKind.LLM for task in tasks):
            verdicts: list[SignalRouted] = self._graph.invoke(state, config={"max_concurrency": self.concurrency})[
                "routed"
            ]
            return verdicts
        opinions = [o for task in tasks if isinstance(task, Send) for o in self._nodes[task.node](task.arg)["opinions"]]
        return self._aggregate({**gated, "opinions": opinions})["routed"]

    def _compile(self) -> CompiledStateGraph[_BatchState, None, _BatchState, _BatchState]:
        builder = StateGraph(_BatchState)
        builder.add_node(_GATE, self._gate)
        builder.add_node(_AGGREGATE, self._aggregate)
        builder.add_edge(START, _GATE)
        expert_nodes = []
        self._nodes: dict[str, _ExpertNode] = {}
        for expert in self.registry.available():
            node = _node_name(expert.name)
            self._nodes[node] = _ExpertNode(expert)
            builder.add_node(node, self._nodes[node], input_schema=_ExpertTask)
            builder.add_edge(node, _AGGREGATE)
            expert_nodes.append(node)
        builder.add_conditional_edges(_GATE, self._fan_out, [*expert_nodes, _AGGREGATE])
        builder.add_edge(_AGGREGATE, END)
        return builder.compile(name="router")

    def _gate(self, state: _BatchState) -> _BatchState:
        regime = state["regime"]
        return {"gates": [choose_experts(s, self.registry, self.config, regime=regime) for s in state["signals"]]}

    def _fan_out(self, state: _BatchState) -> list[Send] | str:
        work: dict[str, list[tuple[int, SignalGenerated]]] = {}
        for position, (signal, gate) in enumerate(zip(state["signals"], state["gates"], strict=True)):
            for choice in gate:
                if choice.selected:
                    work.setdefault(choice.expert, []).append((position, signal))
        tasks: list[Send] = []
        for name, items in work.items():
            if self.registry.get(name).kind is ExpertKind.LLM:
                tasks += [Send(_node_name(name), _ExpertTask(items=[item])) for item in items]
            else:
                tasks.append(Send(_node_name(name), _ExpertTask(items=items)))
        return tasks or _AGGREGATE

    def _aggregate(self, state: _BatchState) -> _BatchState:
        opinions: dict[tuple[int, str], ExpertOpinion] = {
            (position, opinion.expert): opinion for position, opinion in state.get("opinions", [])
        }
        routed = [
            self._rule(signal, gate, opinions, position)
            for position, (signal, gate) in enumerate(zip(state["signals"], state["gates"], strict=True))
        ]
        return {"routed": routed}

    def _rule(
        self,
        signal: SignalGenerated,
        gate: tuple[GateChoice, ...],
        opinions: dict[tuple[int, str], ExpertOpinion],
        position: int,
    ) -> SignalRouted:
        ballots: list[Ballot] = []
        for choice in gate:
            opinion = opinions.get((position, choice.expert))
            if choice.selected and opinion is not None:
                expert = self.registry.get(choice.expert)  # the kind and the veto right come from the registry
                kind = counted_kind(expert, opinion)
                ballots.append(Ballot(opinion=opinion, weight=choice.weight, kind=kind, can_veto=expert.can_veto))
        decision = aggregate(ballots, confirm_threshold=self.config.confirm_threshold, gate=gate)
        return SignalRouted(
            trading_day=signal.trading_day,
            signal=signal,
            verdict=decision.verdict,
            confidence=decision.confidence,
            gate=gate,
            opinions=tuple(b.opinion for b in ballots),
            reasoning_summary=decision.reasoning_summary,
        )


def default_router(
    config: RouterConfig | None = None,
    *,
    llm_enabled: bool,
    judge: LlmJudge | None = None,
    evidence: EvidenceProvider | None = None,
) -> Router:
    """Return a Router over the standard panel (router/defaults.py).

    With a judge, enough threads run at once to keep the judge's `max_concurrency` calls in flight while
    the symbolic experts of other signals proceed.
    """
    config = config or RouterConfig()
    registry = default_registry(config, llm_enabled=llm_enabled, judge=judge, evidence=evidence)
    concurrency = 2 * judge.settings.max_concurrency if llm_enabled and judge is not None else 0
    return Router(registry, config, concurrency=concurrency)
