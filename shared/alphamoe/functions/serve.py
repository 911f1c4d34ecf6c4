"""Serve one function over HTTP with func-python on hypercorn (`alphamoe serve <function>`)."""

from __future__ import annotations

import asyncio

from alphamoe.functions.guard import EnvelopeGuard
from alphamoe.functions.runtime import StageFunction
from alphamoe.functions.telemetry import configure_logging


def serve(name: str, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the function until SIGINT/SIGTERM; the same entry point as the container's."""
    import hypercorn.asyncio
    import hypercorn.config
    from func_python.cloudevent import ASGIApplication

    configure_logging(f"function/{name}")
    function = StageFunction(name)
    app = EnvelopeGuard(ASGIApplication(function), lambda: function.bus, function.metrics.exposition)
    config = hypercorn.config.Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    asyncio.run(hypercorn.asyncio.serve(app, config))  # type: ignore[arg-type]
