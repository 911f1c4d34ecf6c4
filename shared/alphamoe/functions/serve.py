"""Serve one function over HTTP with func-python on hypercorn (`alphamoe serve <function>`).

`python -m alphamoe.functions.serve <function> [--host H] [--port P]` is the lean entry point of the same
server: it skips the CLI, whose import loads every command's dependencies (LangGraph, vectorbt, …) — seconds
that a function scaling from zero would pay before its first event.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alphamoe.functions.serve", description=serve.__doc__)
    parser.add_argument("function", help="scan | route | size | risk | execute")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8080, help="TCP port")
    args = parser.parse_args(argv)
    serve(args.function, args.host, args.port)


if __name__ == "__main__":
    main()
