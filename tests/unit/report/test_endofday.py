"""The end-of-day report's content: P&L against the benchmark, verdicts with reasons, rejections, usage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.report_day import CLOSING, DAY, OPENING, RUN, day_events

from alphamoe.errors import DataError
from alphamoe.report.benchmark import Benchmark, load_benchmark
from alphamoe.report.day import build_report
from alphamoe.report.endofday import EndOfDayReport, build_end_of_day, opinion_usage, performance
from alphamoe.report.latency import in_process_latency
from alphamoe.types import Verdict

INDEX = Benchmark("CSI300", {date(2025, 3, 27): Decimal("4000"), date(2025, 3, 28): Decimal("3960"),
                             DAY: Decimal("3999.6")})  # fmt: skip


def build(benchmark: Benchmark | None = INDEX) -> EndOfDayReport:
    events = day_events()
    day = build_report(events, CLOSING, run_id=RUN, calendar="exchange_calendars XSHG", stage_ms={"scan": 12.5})
    latency = in_process_latency(day.stage_ms, events)
    return build_end_of_day(day, events, opening=OPENING, latency=latency, source="in-process", benchmark=benchmark)


def test_performance_when_benchmark_has_the_day_then_excess_over_its_move() -> None:
    perf = build().performance
    assert (perf.opening_equity, perf.closing_equity, perf.pnl) == (
        Decimal("1000000"),
        Decimal("1000500"),
        Decimal("500"),
    )
    assert perf.day_return == Decimal("0.000500")
    assert perf.benchmark_previous_close == Decimal("3960")  # the row before the day, not the calendar's
    assert perf.benchmark_return == Decimal("0.010000")
    assert perf.excess_return == Decimal("-0.009500")


def test_performance_when_benchmark_lacks_the_day_then_says_so() -> None:
    perf = performance(OPENING, Decimal("1000500"), Benchmark("CSI300", {date(2025, 3, 28): Decimal("3960")}))
    assert perf.benchmark_return is None and "has no close for 2025-03-31" in perf.note


def test_performance_when_no_benchmark_then_names_the_setting() -> None:
    assert "clock.benchmark_csv" in build(None).performance.note


def test_verdicts_when_built_then_every_signal_with_each_experts_reason_and_its_order() -> None:
    verdicts = build().verdicts
    assert [(v.symbol, v.verdict) for v in verdicts] == [("600000.SH", Verdict.CONFIRM), ("600004.SH", Verdict.VETO)]
    assert verdicts[1].experts[0].reasoning == "RSI(14) 86 at or above 80: overheated"
    assert verdicts[0].order == "BUY 1000 REJECTED"
    assert verdicts[1].order == ""


def test_rejections_when_risk_rejected_then_rule_code_and_message_kept() -> None:
    [rejection] = build().rejections
    assert (rejection.symbol, rejection.trading_state) == ("600000.SH", "ACTIVE")
    assert [(r.code, r.message) for r in rejection.rules] == [("max_name_weight", "weight 0.12 above the 0.10 cap")]


def test_latency_when_in_process_then_each_stage_with_its_event_counts() -> None:
    latency = {s.stage: s for s in build().latency}
    assert latency["scan"].ms == 12.5 and latency["scan"].inputs == 1
    assert latency["route"].inputs == 2 and latency["size"].inputs == 4  # 2 routed + scan.completed + market.open


def test_llm_usage_when_symbolic_experts_only_then_zero_with_a_note() -> None:
    llm = build().llm
    assert (llm.calls, llm.total_tokens, llm.cost) == (0, 0, Decimal("0")) and llm.note


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"prompt_tokens": 120, "completion_tokens": 30, "cost": "0.0021"}, (120, 30, 150, Decimal("0.0021"))),
        ({"usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}}, (10, 5, 15, None)),
        ({"llm": {"tokens": 42, "cost_cny": 0.5}}, (0, 0, 42, Decimal("0.5"))),
        ({"expert": "trend", "reasoning": "no usage here"}, None),
    ],
)
def test_usage_when_opinion_names_tokens_its_own_way_then_read(doc: dict[str, Any], expected: object) -> None:
    assert opinion_usage(doc) == expected


def test_report_when_dumped_then_round_trips() -> None:
    report = build()
    assert EndOfDayReport.model_validate_json(report.model_dump_json()) == report


def test_load_benchmark_when_real_csi300_file_then_reads_closes() -> None:
    path = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ashare" / "index" / "sh000300.csv"
    if not path.is_file():
        pytest.skip(f"real index data not found at {path}")
    move = load_benchmark(path, "CSI300").move(date(2024, 10, 8))  # first session after the National Day week
    assert move is not None and move.previous_day == date(2024, 9, 30)
    assert move.change > Decimal("0.05")  # 2024-10-08 opened the week with a large rally


def test_load_benchmark_when_bad_row_then_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "index.csv"
    path.write_text("date,close\n2025-03-31,abc\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"index\.csv:2"):
        load_benchmark(path, "CSI300")


def test_llm_usage_when_llm_opinions_carry_tokens_and_cost_then_summed_and_shown_per_expert() -> None:
    from alphamoe.events.payloads import ExpertOpinion, SignalRouted
    from alphamoe.report.endofday import llm_usage
    from alphamoe.types import ExpertKind

    if "tokens" not in ExpertOpinion.model_fields:
        pytest.skip("ExpertOpinion has no LLM usage fields in this tree")
    base = {"kind": ExpertKind.LLM, "verdict": Verdict.CONFIRM, "confidence": 0.7, "reasoning": "PE below sector"}
    calls = [
        ExpertOpinion(
            expert="fundamental", model="deepseek-chat", outcome="ok", tokens=900, cost_cny=Decimal("0.0120"), **base
        ),
        ExpertOpinion(
            expert="sentiment", model="deepseek-chat", outcome="replayed", tokens=0, cost_cny=Decimal("0"), **base
        ),
        ExpertOpinion(
            expert="trend", kind=ExpertKind.SYMBOLIC, verdict=Verdict.CONFIRM, confidence=0.8, reasoning="up"
        ),
    ]
    signal = next(e.payload for e in day_events() if e.type.endswith("signal.generated"))
    routed = SignalRouted(trading_day=DAY, signal=signal, verdict=Verdict.CONFIRM, confidence=0.7, gate=(),
                          opinions=tuple(calls), reasoning_summary="confirm")  # fmt: skip
    usage = llm_usage([routed])
    assert (usage.calls, usage.total_tokens, usage.cost) == (2, 900, Decimal("0.0120"))
    from alphamoe.report.endofday import expert_reason

    reason = expert_reason(calls[0].model_dump())
    assert (reason.model, reason.outcome, reason.tokens, reason.cost) == ("deepseek-chat", "ok", 900, Decimal("0.0120"))
    assert expert_reason(calls[2].model_dump()).tokens is None
