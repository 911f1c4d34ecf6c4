"""Track records beside one decision (`alphamoe explain --track-records FILE`): point in time or refused.

An evaluation over [start, end] scores only outcomes known by `end` (its bars stop there), so its records
may be shown beside a decision of a later day; beside a decision on or before `end` they would show what
was not yet known, and are refused.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alphamoe.errors import DataError
from alphamoe.evaluate.model import Evaluation, TrackRecord
from alphamoe.evaluate.track import multiplier


def load_evaluation(path: Path) -> Evaluation:
    """Return the evaluation written by `alphamoe evaluate -o json`."""
    try:
        return Evaluation.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise DataError(f"--track-records {path}: no such file (write one with `alphamoe evaluate -o json`)") from None
    except ValueError as exc:
        raise DataError(f"--track-records {path} is not an `alphamoe evaluate -o json` file: {exc}") from None


def records_before(evaluation: Evaluation, board: str, day: date) -> list[TrackRecord]:
    """Return the evaluation's records on `board`, refused when its outcomes were not all known before `day`."""
    if evaluation.end >= day:
        raise DataError(
            f"the track records end on {evaluation.end}, on or after the decision day {day}: they hold outcomes "
            f"not known on {day}; evaluate a span ending before it"
        )
    return [r for r in evaluation.track_records if r.board == board]


def track_rows(records: list[TrackRecord]) -> list[list[str]]:
    """Return the table rows: expert, regime, n, hit rate, confidence, Brier, the gate multiplier earned."""
    return [
        [r.expert, r.regime, str(r.n), f"{r.hit_rate:.1%}", f"{r.mean_confidence:.2f}", f"{r.brier:.3f}",
         f"×{multiplier(r):.2f}"]
        for r in records
    ]  # fmt: skip
