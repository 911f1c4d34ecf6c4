"""Subscriptions (event type → function URL) in one YAML file: the bridge reads it, the manifests follow it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from alphamoe.errors import ConfigurationError
from alphamoe.events.payloads import EVENT_TYPES, PREFIX

ORDERED = ("execute",)
"""Functions whose events must arrive one at a time, in stream order (one broker session, FIFO fills)."""


def is_ordered(function: str) -> bool:
    """True for an ORDERED function, and for one account's of them (`execute-<account>`, issue 20)."""
    return function.partition("-")[0] in ORDERED


@dataclass(frozen=True)
class Subscription:
    """One function's consumer group: the event types it reads and where the bridge POSTs them."""

    function: str
    url: str
    types: tuple[str, ...]

    @property
    def group(self) -> str:
        return self.function


def load_subscriptions(path: Path, urls: Mapping[str, str] | None = None) -> list[Subscription]:
    """Read the subscriptions file; `urls` overrides a function's URL (the local cluster's ports)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read subscriptions file {path}: {exc}") from exc
    functions = document.get("functions") if isinstance(document, dict) else None
    if not isinstance(functions, dict) or not functions:
        raise ConfigurationError(f"{path}: expected a mapping `functions: {{name: {{url, subscribes}}}}`")
    found: list[Subscription] = []
    for name, spec in functions.items():
        types = tuple(PREFIX + t for t in spec.get("subscribes", ()))
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown or not types:
            raise ConfigurationError(f"{path}: function {name!r} subscribes to unknown or no event types {unknown}")
        url = (urls or {}).get(name) or spec.get("url")
        if not url:
            raise ConfigurationError(f"{path}: function {name!r} has no url")
        found.append(Subscription(str(name), str(url), types))
    return found


def as_table(subscriptions: list[Subscription]) -> dict[str, tuple[str, ...]]:
    """Return {function: event types}, the shape of `alphamoe.pipeline.run.SUBSCRIPTIONS`."""
    return {s.function: s.types for s in subscriptions}


def write_subscriptions(path: Path, table: Mapping[str, tuple[str, ...]], urls: Mapping[str, str]) -> Path:
    """Write a subscriptions file (the local cluster writes one with its 127.0.0.1 URLs)."""
    document = {
        "functions": {
            name: {"url": urls[name], "subscribes": [t.removeprefix(PREFIX) for t in types]}
            for name, types in table.items()
        }
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
