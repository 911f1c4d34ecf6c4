"""Track-record weights in the live route stage (issue 19, item 5): with ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS=true
the gate of day D weighs each expert by its record in the decision record, outcomes known by D−1 only.

Before the fix the setting reached `alphamoe evaluate` alone: a live day's gate never applied a record.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.evaluate.recorded import day_track
from alphamoe.evaluate.track import TRACK_HORIZON
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import build_stages
from alphamoe.pipeline.run import run_day, with_event_key
from alphamoe.pipeline.stages.route import decision_store
from alphamoe.router.config import RouteSettings
from alphamoe.settings import Settings
from alphamoe.types import Verdict


def _choices(settings: Settings, run_id: str) -> list[tuple[str, str, str]]:
    """(board, expert, gate why) of every selected expert of every signal of the run."""
    store = decision_store(settings)
    out = []
    for symbol in store.route_symbols(run_id):
        trail = store.get_route(run_id, symbol)
        assert trail is not None
        out += [(trail.routed.signal.board.value, c.expert, c.why) for c in trail.routed.gate if c.selected]
    return out


@pytest.mark.slow
def test_run_day_when_track_record_weights_then_the_gate_applies_the_records_known_before_the_day(
    market_dir: Path, tmp_path: Path
) -> None:
    settings = with_event_key(Settings(data=market_dir, runs=tmp_path, route=RouteSettings(track_record_weights=True)))
    bars = BarStore(market_dir)
    days = bars.sessions()[-(TRACK_HORIZON + 4) :]
    reports = [
        run_day(settings, day, stages=build_stages(settings, secret=secrets.token_bytes(32))).report for day in days
    ]
    runs: dict[date, str] = {r.trading_day: r.run_id for r in reports}

    first, last = _choices(settings, runs[days[0]]), _choices(settings, runs[days[-1]])
    assert not [why for *_, why in first if "track record" in why]  # nothing known yet
    applied = [why for *_, why in last if "track record" in why]
    assert applied, "no gate of the last day applied a track record"
    shown = [term for r in reports[-1].routed for term in r.track_records]  # the day report shows them
    assert len(shown) == len(applied) and all("track record" in t for t in shown)

    # the record now also holds the last day's own trails: D's records are the same without them
    track = day_track(decision_store(settings), bars, days[-1])
    for board, expert, why in last:
        multiplier = track.weights.get(f"{board}/{track.regime}", {}).get(expert)
        if multiplier is not None:
            assert f"track record {board}/{track.regime} ×{multiplier:.2f}" in why
    # `alphamoe explain` shows the records from the decision record, no evaluate file needed
    symbol = decision_store(settings).route_symbols(runs[days[-1]])[0]
    shown_by_explain = CliRunner().invoke(
        app,
        ["explain", runs[days[-1]], symbol, "--data", str(market_dir), "-o", "json"],
        env={"ALPHAMOE_RUNS": str(tmp_path)},
    )
    assert shown_by_explain.exit_code == 0, shown_by_explain.output
    trail = decision_store(settings).get_route(runs[days[-1]], symbol)
    assert trail is not None
    explained = json.loads(shown_by_explain.output)["track_records"]
    assert explained == [r.model_dump(mode="json") for r in track.on_board(trail.routed.signal.board.value)]
    # point in time: only verdicts whose 5-session outcome closed by D−1 (days up to D−1−5's decision) count
    known = days[: len(days) - TRACK_HORIZON]
    assert sum(r.n for r in track.records) == sum(n for day in known for *_, n in _opinions(settings, runs[day]))


def _opinions(settings: Settings, run_id: str) -> list[tuple[str, int]]:
    """(symbol, confirms and vetoes) of every signal the run routed: the verdicts a track record scores."""
    store = decision_store(settings)
    out = []
    for symbol in store.route_symbols(run_id):
        trail = store.get_route(run_id, symbol)
        assert trail is not None
        out.append((symbol, sum(1 for o in trail.routed.opinions if o.verdict is not Verdict.ABSTAIN)))
    return out
