"""A busy day for the terminal: many signals, each routed with a long reason and excluded stocks counted.

Built on support.report_day's hand-made day; tables over it must count the rows they leave out and keep
each reason on one line off a terminal.
"""

from __future__ import annotations

from typing import Any

from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketOpen, Payload, ScanCompleted, SignalRouted
from alphamoe.report.day import DayReport, build_report
from alphamoe.report.endofday import EndOfDayReport, build_end_of_day
from alphamoe.types import Verdict
from support.report_day import CLOSING, DAY, OPENING, RUN, opinion, signal

EXCLUDED = {"suspended": 12, "st": 3, "limit_up_locked": 0}
LONG_REASON = "RSI(14) 86 at or above 80: overheated; volume 3.1x its 20-day mean on a gap up; " * 3


def reason(i: int) -> str:
    """The long reasoning of signal `i` (unique, so a test can find each one whole)."""
    return f"#{i:03d} {LONG_REASON.strip()}"


def busy_events(signals: int) -> list[Envelope[Any]]:
    """`signals` signals, each vetoed by the risk skeptic with `reason(i)`; no order."""
    generated = [signal(f"{600000 + i:06d}.SH", i) for i in range(signals)]
    routed = [
        SignalRouted(
            trading_day=DAY, signal=s, verdict=Verdict.VETO, confidence=0.7, gate=(),
            opinions=(opinion("risk_skeptic", Verdict.VETO, reason(i)),), reasoning_summary="veto",
        )
        for i, s in enumerate(generated)
    ]  # fmt: skip
    completed = ScanCompleted(
        trading_day=DAY, strategy="tb", universe_size=600, candidates=signals, data_until=DAY, excluded=EXCLUDED
    )
    payloads: list[Payload] = [MarketOpen(trading_day=DAY), *generated, completed, *routed]
    return [build_event(p, run_id=RUN, source=f"/alphamoe/{i}") for i, p in enumerate(payloads)]


def busy_day(signals: int) -> DayReport:
    return build_report(busy_events(signals), CLOSING, run_id=RUN, calendar="exchange_calendars XSHG", stage_ms={})


def busy_end_of_day(signals: int) -> EndOfDayReport:
    events = busy_events(signals)
    return build_end_of_day(busy_day(signals), events, opening=OPENING, latency=[], source="in-process")
