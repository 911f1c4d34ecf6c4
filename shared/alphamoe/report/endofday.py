"""The end-of-day report: what happened on one run of one day, and why — built from the run's events.

It wraps the run's `DayReport` (signals, orders, fills, positions) and adds what a trader asks at the
close: equity and P&L against the benchmark, every signal with its verdict and each expert's reasons, the
rejections with the rules that made them, the LLM tokens and cost, each stage's latency, and the clock's
decisions (on time, caught up, duplicates ignored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from alphamoe.clock.ledger import ClockRecord
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import OrderProposed, OrderRejected, SignalGenerated, SignalRouted
from alphamoe.portfolio import AccountState
from alphamoe.report.benchmark import Benchmark
from alphamoe.report.day import DayReport
from alphamoe.types import Side, Verdict

_RATE = Decimal("0.000001")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Performance(_Row):
    opening_equity: Decimal
    closing_equity: Decimal
    pnl: Decimal
    day_return: Decimal
    benchmark: str | None = None
    benchmark_previous_close: Decimal | None = None
    benchmark_close: Decimal | None = None
    benchmark_return: Decimal | None = None
    excess_return: Decimal | None = None
    note: str = ""


class ExpertReason(_Row):
    expert: str
    kind: str
    verdict: Verdict
    confidence: float
    reasoning: str
    tokens: int | None = None
    cost: Decimal | None = None
    model: str | None = None
    outcome: str | None = None


class VerdictRow(_Row):
    rank: int
    symbol: str
    score: float
    verdict: Verdict | None
    confidence: float | None
    reasoning_summary: str
    experts: list[ExpertReason]
    order: str = ""


class RuleRow(_Row):
    code: str
    message: str


class RejectionRow(_Row):
    order_id: str
    symbol: str
    side: Side
    quantity: int
    limit_price: Decimal
    trading_state: str
    rules: list[RuleRow]


class LlmUsage(_Row):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: Decimal = Decimal("0")
    note: str = ""


class StageLatency(_Row):
    stage: str
    inputs: int
    outputs: int
    ms: float
    p50_ms: float | None = None
    basis: str


class EndOfDayReport(_Row):
    schema_version: Literal[1] = 1
    trading_day: date
    run_id: str
    source: str
    performance: Performance
    verdicts: list[VerdictRow]
    rejections: list[RejectionRow]
    llm: LlmUsage
    latency: list[StageLatency]
    clock: list[ClockRecord]
    day: DayReport


def performance(opening: AccountState, closing_equity: Decimal, benchmark: Benchmark | None) -> Performance:
    """Return the day's P&L on the opening equity, beside the benchmark's move when it has the day."""
    pnl = closing_equity - opening.equity
    day_return = (pnl / opening.equity).quantize(_RATE) if opening.equity else Decimal("0")
    if benchmark is None:
        return Performance(
            opening_equity=opening.equity, closing_equity=closing_equity, pnl=pnl, day_return=day_return,
            note="no benchmark configured (clock.benchmark_csv)",
        )  # fmt: skip
    move = benchmark.move(opening.trading_day)
    if move is None:
        return Performance(
            opening_equity=opening.equity, closing_equity=closing_equity, pnl=pnl, day_return=day_return,
            benchmark=benchmark.name, note=f"{benchmark.name} has no close for {opening.trading_day}",
        )  # fmt: skip
    change = move.change.quantize(_RATE)
    return Performance(
        opening_equity=opening.equity,
        closing_equity=closing_equity,
        pnl=pnl,
        day_return=day_return,
        benchmark=benchmark.name,
        benchmark_previous_close=move.previous_close,
        benchmark_close=move.close,
        benchmark_return=change,
        excess_return=day_return - change,
        note=f"{benchmark.name} {move.previous_day} close {move.previous_close} → {move.close}",
    )


def _number(doc: Mapping[str, Any], *keys: str) -> Decimal | None:
    for key in keys:
        value = doc.get(key)
        if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool):
            try:
                return Decimal(str(value))
            except ArithmeticError:
                continue
    return None


def opinion_usage(doc: Mapping[str, Any]) -> tuple[int, int, int, Decimal | None] | None:
    """Return (prompt, completion, total tokens, cost) an opinion carries, under whichever names it uses."""
    for nested in ("usage", "llm", "call"):
        if isinstance(doc.get(nested), Mapping):
            found = opinion_usage(doc[nested])
            if found is not None:
                return found
    prompt = _number(doc, "prompt_tokens", "input_tokens")
    completion = _number(doc, "completion_tokens", "output_tokens")
    total = _number(doc, "total_tokens", "tokens")
    cost = _number(doc, "cost", "cost_cny", "cost_usd")
    if prompt is None and completion is None and total is None and cost is None:
        return None
    p, c = int(prompt or 0), int(completion or 0)
    return p, c, int(total) if total is not None else p + c, cost


def llm_usage(routed: Sequence[SignalRouted]) -> LlmUsage:
    """Sum the tokens and cost the routed signals' LLM opinions report (fields are read tolerantly)."""
    calls = prompt = completion = total = 0
    cost = Decimal("0")
    for r in routed:
        for opinion in r.opinions:
            found = opinion_usage(opinion.model_dump())
            if found is None:
                continue
            calls += 1
            prompt, completion, total = prompt + found[0], completion + found[1], total + found[2]
            cost += found[3] or Decimal("0")
    note = "" if calls else "no expert reported LLM usage (LLM experts off, or cached decisions)"
    return LlmUsage(
        calls=calls, prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cost=cost, note=note
    )


def expert_reason(opinion_doc: Mapping[str, Any]) -> ExpertReason:
    """Return one expert's row of a verdict (an `ExpertOpinion` dumped), with the LLM tokens and cost it carries."""
    found = opinion_usage(opinion_doc)
    return ExpertReason(
        expert=str(opinion_doc["expert"]),
        kind=str(opinion_doc["kind"]),
        verdict=Verdict(opinion_doc["verdict"]),
        confidence=float(opinion_doc["confidence"]),
        reasoning=str(opinion_doc.get("reasoning", "")),
        tokens=found[2] if found else None,
        cost=found[3] if found else None,
        model=str(opinion_doc["model"]) if opinion_doc.get("model") else None,
        outcome=str(opinion_doc["outcome"]) if opinion_doc.get("outcome") else None,
    )


def build_end_of_day(
    day: DayReport,
    events: Sequence[Envelope[Any]],
    *,
    opening: AccountState,
    latency: Sequence[StageLatency],
    source: str,
    benchmark: Benchmark | None = None,
    clock: Sequence[ClockRecord] = (),
) -> EndOfDayReport:
    """Assemble the end-of-day report from the run's day report, its events and the opening account."""
    payloads = [e.payload for e in events]
    signals = sorted((p for p in payloads if isinstance(p, SignalGenerated)), key=lambda s: s.rank)
    routed = {p.signal.signal_id: p for p in payloads if isinstance(p, SignalRouted)}
    order_of = {p.signal_id: p.order_id for p in payloads if isinstance(p, OrderProposed) and p.signal_id}
    status = {o.order_id: f"{o.side.value} {o.quantity} {o.status.value}" for o in day.orders}
    verdicts = []
    for s in signals:
        r = routed.get(s.signal_id)
        verdicts.append(
            VerdictRow(
                rank=s.rank,
                symbol=s.symbol,
                score=s.score,
                verdict=r.verdict if r else None,
                confidence=r.confidence if r else None,
                reasoning_summary=r.reasoning_summary if r else "not routed",
                experts=[expert_reason(o.model_dump()) for o in r.opinions] if r else [],
                order=status.get(order_of.get(s.signal_id, ""), ""),
            )
        )
    rejections = [
        RejectionRow(
            order_id=p.order.order_id,
            symbol=p.order.symbol,
            side=p.order.side,
            quantity=p.order.quantity,
            limit_price=p.order.limit_price,
            trading_state=p.trading_state,
            rules=[RuleRow(code=v.code, message=v.message) for v in p.violations],
        )
        for p in payloads
        if isinstance(p, OrderRejected)
    ]
    return EndOfDayReport(
        trading_day=day.trading_day,
        run_id=day.run_id,
        source=source,
        performance=performance(opening, day.equity, benchmark),
        verdicts=verdicts,
        rejections=rejections,
        llm=llm_usage(list(routed.values())),
        latency=list(latency),
        clock=list(clock),
        day=day,
    )
