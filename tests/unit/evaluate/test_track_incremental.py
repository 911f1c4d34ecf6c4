"""Track-record weights over a season read the decision record incrementally, with the same weights.

Before the fix the route stage's gate re-read every trail of the record at every signal of every session: a
season of N sessions read O(N²) trails. Now a finished run is read once or twice and a day's records are worked
out once; each day's records and multipliers equal a full recomputation from the whole record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.decisions.record import RouteTrail
from alphamoe.decisions.store import DecisionStore
from alphamoe.evaluate.recorded import day_track
from alphamoe.events.payloads import ExpertOpinion, SignalGenerated, SignalRouted
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.stages.route import build_route_stage
from alphamoe.router.config import RouteSettings
from alphamoe.settings import Settings
from alphamoe.types import Board, ExpertKind, Verdict

PICKS = 3  # signals recorded a day
EXPERTS = ("fundamental", "sector")


def _trail(run_id: str, day: date, symbol: str, k: int, recorded_at: datetime) -> RouteTrail:
    signal = SignalGenerated(
        trading_day=day, signal_id=f"{day:%Y%m%d}-{symbol}", symbol=symbol, board=Board.MAIN, strategy="trend",
        rank=k, score=1.0, reference_price=Decimal("10.00"), prev_close=Decimal("10.00"), features={},
        p_win=0.5, payoff=1.5, n_trades=10,
    )  # fmt: skip
    opinions = tuple(
        ExpertOpinion(
            expert=expert,
            kind=ExpertKind.SYMBOLIC,
            verdict=(Verdict.CONFIRM, Verdict.VETO, Verdict.ABSTAIN)[(k + e + day.day) % 3],
            confidence=0.5 + 0.1 * ((k + 2 * e + day.day) % 5),
            reasoning="rule",
        )
        for e, expert in enumerate(EXPERTS)
    )
    routed = SignalRouted(
        trading_day=day, signal=signal, verdict=Verdict.CONFIRM, confidence=0.6, gate=(), opinions=opinions,
        reasoning_summary="confirm",
    )  # fmt: skip
    return RouteTrail(run_id=run_id, routed=routed, recorded_at=recorded_at)


def _counting(store: DecisionStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the trails read from `store` (its real get_route still answers)."""
    reads = [0]
    real: Callable[[str, str], RouteTrail | None] = store.get_route

    def get_route(run_id: str, symbol: str) -> RouteTrail | None:
        reads[0] += 1
        return real(run_id, symbol)

    monkeypatch.setattr(store, "get_route", get_route)
    return reads


def test_route_stage_track_when_a_season_is_recorded_then_each_trail_read_at_most_twice_and_weights_unchanged(
    market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data=market_dir, runs=tmp_path, route=RouteSettings(track_record_weights=True))
    stage = build_route_stage(settings)
    assert stage.track is not None and stage.record is not None
    store, bars = stage.record, BarStore(market_dir)
    reads = _counting(store, monkeypatch)
    season = bars.sessions()[-16:-2]
    at = datetime(2025, 1, 1, tzinfo=UTC)
    written, counted = 0, 0
    for n, day in enumerate(season):
        tracked = [stage.track(day) for _ in range(PICKS)]  # the function asks once per signal event
        counted = reads[0]
        assert all(t == day_track(store, bars, day) for t in tracked)  # a full recomputation: the same records
        reads[0] = counted
        symbols = sorted(bars.day(day))[n * PICKS : (n + 1) * PICKS]
        for k, symbol in enumerate(symbols):
            store.put_route(_trail(f"run-{day:%Y%m%d}", day, symbol, k, at + timedelta(days=n)))
            written += 1
        if n == 8:  # a rerun of an earlier day re-records one signal later, with other verdicts: it counts instead
            early = season[2]
            symbol = sorted(bars.day(early))[2 * PICKS]
            store.put_route(_trail("rerun", early, symbol, 1, at + timedelta(days=30)))
            written += 1
    last = stage.track(season[-1])
    assert sum(r.n for r in last.records) > 0 and last.weights  # the season's records reach the gate
    assert counted <= 2 * written, f"{counted} trails read for a season of {written}: the record is re-read"
