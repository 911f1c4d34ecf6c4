"""Observability of functions and the bridge: JSON log lines that carry the event's ids, Prometheus metrics.

Every log line says which CloudEvent (id, run id, causation id) it is about, so one order can be followed
across processes with a grep; the ids come from a context variable bound while an event is handled.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from alphamoe.events.envelope import Envelope

_EVENT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("alphamoe_event", default=None)
_COMPONENT: dict[str, str] = {"component": "alphamoe"}


@contextmanager
def bound(envelope: Envelope[Any] | None = None, **ids: str) -> Iterator[None]:
    """Tag every log line inside the block with the event's id, run id and causation id."""
    fields = dict(ids)
    if envelope is not None:
        fields.update(event_id=envelope.id, run_id=envelope.run_id, causation_id=envelope.causation_id or "")
    token = _EVENT.set({**(_EVENT.get() or {}), **fields})
    try:
        yield
    finally:
        _EVENT.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, component, logger, message, the bound event ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": f"{record.created:.3f}",
            "level": record.levelname.lower(),
            **_COMPONENT,
            "logger": record.name,
            "msg": record.getMessage(),
            "event_id": "",
            "run_id": "",
            "causation_id": "",
            **(_EVENT.get() or {}),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(component: str, level: int = logging.INFO) -> None:
    """Send every log record of this process to stderr as JSON lines tagged with `component`."""
    _COMPONENT["component"] = component
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class FunctionMetrics:
    """Prometheus metrics of one function process, served on its own port at /metrics."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.registry = CollectorRegistry()
        self.handled = Counter(
            "alphamoe_events_handled_total",
            "CloudEvents handled, by type and outcome",
            ["function", "type", "outcome"],
            registry=self.registry,
        )
        self.failures = Counter(
            "alphamoe_event_failures_total", "events answered 4xx/5xx", ["function", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "alphamoe_event_latency_seconds",
            "time from request to answer",
            ["function"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    @contextmanager
    def timed(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.latency.labels(self.function).observe(time.perf_counter() - start)

    def record(self, event_type: str, status: int, outcome: str) -> None:
        self.handled.labels(self.function, event_type, outcome).inc()
        if status >= 400:
            self.failures.labels(self.function, str(status)).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
