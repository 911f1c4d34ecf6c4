"""Serve the PingSource receiver with hypercorn (`alphamoe schedule serve`)."""

from __future__ import annotations

import asyncio
from datetime import date
from functools import cache

from alphamoe.clock.receiver import ClockReceiver
from alphamoe.clock.trigger import Clock


def serve_receiver(host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run until SIGINT/SIGTERM; settings and Redis are read at the first ping, so the pod starts without them."""
    import hypercorn.asyncio
    import hypercorn.config

    from alphamoe.clock.wiring import build_clock, evening_step, report_location
    from alphamoe.settings import Settings

    @cache
    def settings() -> Settings:
        return Settings()

    @cache
    def clock() -> Clock:
        # no hook on market.close: a ping must be answered at once; the "report" ping writes it later
        return build_clock(settings(), report=False, data=evening_step(settings()))

    def write_report(day: date) -> str:
        from alphamoe.report.assemble import rebuild_from_redis
        from alphamoe.report.store import ReportStore

        store = ReportStore.open(report_location(settings()))
        store.save(rebuild_from_redis(settings(), day))
        return store.where(day)

    config = hypercorn.config.Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    receiver = ClockReceiver(clock, write_report=write_report)
    asyncio.run(hypercorn.asyncio.serve(receiver, config))  # type: ignore[arg-type]
