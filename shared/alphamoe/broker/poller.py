"""The background poller an HTTP/Redis broker adapter runs to hear order events between calls."""

from __future__ import annotations

import threading
from collections.abc import Callable


def ensure_poller(
    poller: threading.Thread | None, stop: threading.Event, loop: Callable[[], None], name: str
) -> threading.Thread:
    """Return `poller` while it runs, else a new daemon thread running `loop` (with `stop` cleared first).

    A reconnect after `close` (which sets `stop`) starts the poller again; a second `connect` does not start two.
    """
    if poller is not None and poller.is_alive():
        return poller
    stop.clear()
    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
