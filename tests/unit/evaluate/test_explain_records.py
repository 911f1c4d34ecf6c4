"""Track records beside a decision: shown only when every outcome in them was known before the day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alphamoe.errors import DataError
from alphamoe.evaluate.explain import load_evaluation, records_before, track_rows
from alphamoe.evaluate.model import Evaluation, TrackRecord


def _evaluation(end: date) -> Evaluation:
    records = tuple(
        TrackRecord(expert="fundamental", board=board, regime="up", n=40, hit_rate=0.75, mean_confidence=0.8, brier=0.2)
        for board in ("main", "star")
    )
    return Evaluation(
        start=date(2024, 1, 2), end=end, strategy="trend_breakout", record="/tmp/r", anonymised=True, live=False,
        benchmark=None, sessions=0, candidates=0, days=(), benchmark_curve=(), arms=(), track_records=records,
    )  # fmt: skip


def test_records_before_when_evaluation_ends_before_the_day_then_board_rows_with_gate_multiplier(
    tmp_path: Path,
) -> None:
    path = tmp_path / "evaluation.json"
    path.write_text(_evaluation(date(2024, 6, 28)).model_dump_json(), encoding="utf-8")
    records = records_before(load_evaluation(path), "main", date(2024, 7, 1))
    assert [r.board for r in records] == ["main"]
    assert track_rows(records) == [["fundamental", "up", "40", "75.0%", "0.80", "0.200", "×1.33"]]


def test_records_before_when_evaluation_reaches_the_day_then_refused_as_not_point_in_time() -> None:
    with pytest.raises(DataError, match="on or after the decision day 2024-06-28"):
        records_before(_evaluation(date(2024, 6, 28)), "main", date(2024, 6, 28))


def test_load_evaluation_when_not_an_evaluation_then_refused_naming_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match=r"--track-records .* is not an `alphamoe evaluate -o json` file"):
        load_evaluation(path)
