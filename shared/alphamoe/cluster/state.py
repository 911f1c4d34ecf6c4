"""Read the local cluster's `state.json`: kept apart from the supervisor so a client (`alphamoe status`,
`alphamoe risk status`) finds the cluster without importing what runs it (the clock, the bus, httpx)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alphamoe.errors import ConfigurationError


def read_state(directory: Path) -> dict[str, Any]:
    """Return the cluster state written by its supervisor (raises ConfigurationError when there is none)."""
    path = directory / "state.json"
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"no local cluster state at {path} (start one with `alphamoe cluster up`)") from exc
    return state
