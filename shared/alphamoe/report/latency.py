"""Each stage's latency, from the two places time is known: handler timing in process, stream ids in a cluster."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.pipeline.run import SUBSCRIPTIONS
from alphamoe.report.endofday import StageLatency

IN_PROCESS = "handler time, in process"
ON_STREAMS = "input to its last output, Redis stream entry times (max; p50)"


def _counts(stage: str, events: Sequence[Envelope[Any]]) -> tuple[int, int]:
    inputs = sum(1 for e in events if e.type in SUBSCRIPTIONS[stage])
    outputs = sum(1 for e in events if e.source == f"/alphamoe/{stage}")
    return inputs, outputs


def in_process_latency(stage_ms: Mapping[str, float], events: Sequence[Envelope[Any]]) -> list[StageLatency]:
    """Return each stage's total handler time of an in-process run, with its event counts."""
    rows = []
    for stage in SUBSCRIPTIONS:
        inputs, outputs = _counts(stage, events)
        rows.append(
            StageLatency(stage=stage, inputs=inputs, outputs=outputs, ms=stage_ms.get(stage, 0.0), basis=IN_PROCESS)
        )
    return rows


def stream_latency(timed: Sequence[tuple[float, Envelope[Any]]]) -> list[StageLatency]:
    """Return, per stage, how long it took from an input entering its stream to its last output for it.

    `timed` holds `(epoch ms, event)` pairs; Redis stream entry ids are the server's millisecond clock, so one
    clock measures every stage. Outputs are matched to their input by `causationid`; `ms` is the slowest
    input, `p50_ms` the median one.
    """
    events = [e for _, e in timed]
    at = {e.id: ms for ms, e in timed}
    rows = []
    for stage in SUBSCRIPTIONS:
        inputs, outputs = _counts(stage, events)
        last_output: dict[str, float] = {}
        for ms, e in timed:
            if e.source == f"/alphamoe/{stage}" and e.causation_id in at:
                last_output[e.causation_id] = max(ms, last_output.get(e.causation_id, ms))
        spans = sorted(max(ms - at[cause], 0.0) for cause, ms in last_output.items())
        rows.append(
            StageLatency(
                stage=stage,
                inputs=inputs,
                outputs=outputs,
                ms=spans[-1] if spans else 0.0,
                p50_ms=statistics.median(spans) if spans else None,
                basis=ON_STREAMS,
            )
        )
    return rows
