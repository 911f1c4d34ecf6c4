"""Each expert's track record as of a live day, point in time, from the decision record (opt-in gate weights).

The live route stage of day D (ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS=true) and `alphamoe explain` read every
route trail recorded for a trading day before D, score each expert's confirm or veto by the pick's forward
return at TRACK_HORIZON sessions from its decision row (evaluate.outcomes), and keep only outcomes known by
D−1's close (`track_records(as_of=D−1)`): the bars they read end at D−1, so nothing of D or later reaches
the weights. The regime of a row is `outcomes.regimes` of the universe average, as `alphamoe evaluate` has it;
the gate of day D weighs experts in the regime of its decision row, D−1. The route stage keeps the finished
runs it read and each day's result (`DayTracks`): a season reads each trail once or twice, not once per
later signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from alphamoe.backtest.benchmark import universe_average
from alphamoe.decisions.record import RouteTrail
from alphamoe.decisions.store import DecisionStore
from alphamoe.evaluate.model import TrackRecord
from alphamoe.evaluate.outcomes import TREND_WINDOW, adjusted_closes, forward_returns, regimes
from alphamoe.evaluate.track import TRACK_HORIZON, ScoredVerdict, track_multipliers, track_records
from alphamoe.market.bars import BarStore, Panel
from alphamoe.types import Verdict


@dataclass(frozen=True)
class DayTrack:
    """What the gate of one day may use: its decision row's regime, the records and the multipliers they earn."""

    day: date
    regime: str
    records: tuple[TrackRecord, ...]
    weights: dict[str, dict[str, float]]  # GateWeights.by_track_record

    def on_board(self, board: str) -> list[TrackRecord]:
        """The records of one board (types.Board value), by expert and regime."""
        return [r for r in self.records if r.board == board]


def recorded_trails(store: DecisionStore, before: date) -> list[RouteTrail]:
    """Return every trail of a trading day before `before`, once per (day, signal): the last one recorded
    when several runs routed it (a rerun, a replay)."""
    return TrailReader(store).trails(before)


class TrailReader:
    """The record's route trails as one process reads them day after day: a finished run is read once.

    A run whose every trail is dated before `settled` (the session before the day asked: a run of that day or
    later may still be writing) is kept whole; the next call lists the runs and reads only those it does not
    keep, so a season of N sessions reads each trail once or twice, not once per later session. Known limit:
    a replay of a day before `settled` read while it is still writing is kept as far as it got in this process.
    """

    def __init__(self, store: DecisionStore) -> None:
        self.store = store
        self._kept: dict[str, list[RouteTrail]] = {}

    def trails(self, before: date, *, settled: date | None = None) -> list[RouteTrail]:
        """`recorded_trails(store, before)`, from the runs kept and those read now (kept when all precede `settled`)."""
        latest: dict[tuple[date, str], RouteTrail] = {}
        for run_id in self.store.route_runs():
            run = self._kept.get(run_id)
            if run is None:
                run = self._read(run_id)
                if settled is not None and run and all(t.routed.trading_day < settled for t in run):
                    self._kept[run_id] = run
            for trail in run:
                if trail.routed.trading_day >= before:
                    continue
                key = (trail.routed.trading_day, trail.routed.signal.signal_id)
                if key not in latest or latest[key].recorded_at < trail.recorded_at:
                    latest[key] = trail
        return [latest[key] for key in sorted(latest)]

    def _read(self, run_id: str) -> list[RouteTrail]:
        run = []
        for symbol in self.store.route_symbols(run_id):
            trail = self.store.get_route(run_id, symbol)
            if trail is not None:
                run.append(trail)
        return run


def day_track(store: DecisionStore, bars: BarStore, day: date, *, reader: TrailReader | None = None) -> DayTrack:
    """Return the track records and gate multipliers of `day` from the record (module docstring); `reader`
    keeps the finished runs it read for the next day (`DayTracks`), the same records as a fresh read."""
    sessions = bars.sessions()
    previous = [d for d in sessions if d < day]
    if not previous:
        return DayTrack(day, "unknown", (), {})
    trails = (reader or TrailReader(store)).trails(day, settled=previous[-1])
    first = min((t.routed.trading_day for t in trails), default=previous[-1])
    span = sum(1 for d in previous if d >= first) + TREND_WINDOW + 1  # the first decision row and its regime
    return track_of(trails, bars.panel(until=previous[-1], lookback=span), day)


class DayTracks:
    """The route stage's `track`: each day's `DayTrack`, worked out at the day's first signal and kept for the
    rest of its signals (the function routes them one event at a time), the record read incrementally."""

    def __init__(self, store: DecisionStore, bars: BarStore) -> None:
        self.store, self.bars = store, bars
        self.reader = TrailReader(store)
        self._last: DayTrack | None = None

    def __call__(self, day: date) -> DayTrack:
        if self._last is None or self._last.day != day:
            self._last = day_track(self.store, self.bars, day, reader=self.reader)
        return self._last


def track_of(trails: Iterable[RouteTrail], panel: Panel, day: date) -> DayTrack:
    """`day_track` over trails and a panel ending at the session before `day`."""
    dates = panel.days
    if dates[-1] >= day:
        raise ValueError(f"panel ends {dates[-1]}, not before {day}: track records of D read bars up to D−1 only")
    regime = regimes(universe_average(panel, 0).to_numpy(dtype=np.float64))
    scored = scored_verdicts(trails, panel, regime)
    records = tuple(track_records(scored, as_of=len(dates) - 1))
    return DayTrack(day, regime[-1], records, track_multipliers(records))


def scored_verdicts(trails: Iterable[RouteTrail], panel: Panel, regime: Sequence[str]) -> list[ScoredVerdict]:
    """Each recorded confirm or veto, at its decision row (the session before its day) with its forward return."""
    row_of = {d: i for i, d in enumerate(panel.days)}
    col_of = {s: i for i, s in enumerate(panel.symbols)}
    picks = [
        (t, row_of[t.routed.trading_day] - 1, col_of[t.routed.signal.symbol])
        for t in trails
        if t.routed.trading_day in row_of and t.routed.signal.symbol in col_of and row_of[t.routed.trading_day] > 0
    ]
    if not picks:
        return []
    rows = np.array([r for _, r, _ in picks], dtype=np.int64)
    cols = np.array([c for _, _, c in picks], dtype=np.int64)
    forward = forward_returns(adjusted_closes(panel), rows, cols, TRACK_HORIZON).tolist()
    return [
        ScoredVerdict(
            o.expert,
            trail.routed.signal.board.value,
            regime[row],
            row,
            o.verdict is Verdict.CONFIRM,
            o.confidence,
            ahead,
        )
        for (trail, row, _), ahead in zip(picks, forward, strict=True)
        for o in trail.routed.opinions
        if o.verdict is not Verdict.ABSTAIN
    ]
