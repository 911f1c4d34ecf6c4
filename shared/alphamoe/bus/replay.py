"""Replay a recorded run: re-publish its root events under a new run id through the same functions.

A run's record is its Redis run log (`alphamoe:run:<id>`) or an exported JSONL file of structured
CloudEvents. Only the roots (events with no cause: market.open, market.close) are re-published; the
functions derive everything else again, deterministically, so the orders equal the original run's.
Each re-published root carries `replayof=<original run id>`, which every derived event keeps: the route
function answers its LLM experts from the decision record for such events (a missing key abstains, no
model is called), whatever the running cluster's settings. Each root also carries a REPLAY run token signed
with the event key (`security.runs`): functions refuse roots no issuer of this deployment signed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from alphamoe.bus import codec
from alphamoe.bus.progress import wait_quiet
from alphamoe.bus.redis import RedisBus
from alphamoe.errors import DataError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import PREFIX
from alphamoe.security import runs


def export_run(bus: RedisBus, run_id: str, path: Path) -> int:
    """Write every event of a run, in publication order, as structured CloudEvents (one JSON per line)."""
    entries = bus.run_entries(run_id)
    if not entries:
        raise DataError(f"no events recorded for run {run_id!r} in Redis (known runs: {sorted(bus.runs())[:10]})")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for fields in entries:
            out.write(json.dumps(codec.structured(fields), ensure_ascii=False) + "\n")
    return len(entries)


def read_export(path: Path) -> list[dict[str, Any]]:
    """Read an exported JSONL file; a line that is not a CloudEvent is reported with its number."""
    documents: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
            codec.from_structured(documents[-1])
        except ValueError as exc:
            raise DataError(f"{path}:{number}: not a CloudEvent JSON line: {exc}") from None
    return documents


def recorded(bus: RedisBus, run_id: str) -> list[dict[str, Any]]:
    """Return a run's record from Redis in the export's shape."""
    entries = bus.run_entries(run_id)
    if not entries:
        raise DataError(f"no events recorded for run {run_id!r} in Redis")
    return [codec.structured(fields) for fields in entries]


def replay_roots(record: Sequence[dict[str, Any]], run_id: str, *, key: bytes) -> list[Envelope[Any]]:
    """Return the record's roots rebuilt under `run_id`, each marked as a replay of its original run.

    `key`: the event key (`require_key(settings.event_key, …)`) that signs each root's REPLAY run token.
    """
    roots: list[Envelope[Any]] = []
    for document in record:
        if document.get("causationid"):
            continue
        original = codec.from_structured(document)
        replay_of = original.replay_of or original.run_id  # a replay of a replay still answers from the first
        token = runs.issue(key, run_id, original.trading_day, runs.RunMode.REPLAY)
        roots.append(
            build_event(original.payload, run_id=run_id, source=original.source, replay_of=replay_of, run_token=token)
        )
    return roots


def replay(
    bus: RedisBus,
    record: Sequence[dict[str, Any]],
    run_id: str,
    *,
    key: bytes,
    until: str | None = None,
    speed: float | None = None,
    timeout_s: float = 300.0,
) -> list[Envelope[Any]]:
    """Re-publish the record's roots under `run_id`, each after the previous one's consequences settled.

    `until` (an event type, with or without the `com.alphamoe.` prefix) stops once the replay produced it;
    `speed` None replays as fast as possible, else the recorded gaps between roots are divided by it.
    """
    target = None if until is None else (until if until.startswith(PREFIX) else PREFIX + until)
    documents = [d for d in record if not d.get("causationid")]
    previous: datetime | None = None
    for document, root in zip(documents, replay_roots(documents, run_id, key=key), strict=True):
        when = _time(document)
        if speed and previous is not None and when is not None:
            time.sleep(max(0.0, (when - previous).total_seconds() / speed))
        previous = when or previous
        bus.publish(root)
        wait_quiet(bus.client, timeout_s=timeout_s)
        if target and any(e.type == target for e in bus.run_events(run_id)):
            break
    return list(bus.run_events(run_id))


def _time(document: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(document["time"]))
    except (KeyError, ValueError):
        return None
