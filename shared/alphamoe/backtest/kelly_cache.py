"""A file cache of the closed trades behind each Kelly refresh, so a rerun does not run the strategy again.

A refresh's trades (`strategy.stats.kelly_window_trades`) depend only on the window's bars, the panel's
columns, the strategy with its parameters, the fee rate and the code that computes them. Refreshes are
anchored on the calendar (`refresh_rows`), so a rerun, a longer or later span and a warm rerun read the
same windows: each is keyed by the store's fingerprint (every file's path, size and modification time),
the columns, the window's first and last session and length, the strategy's name and parameters, the fee
rate and the source of the strategy package and the bar panel. p and b are recomputed from the trades
(`kelly_stats`, milliseconds), so the prior strength is not part of the key. A key that matches nothing
runs the strategy; nothing stale can be read, only missed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

import alphamoe.market.bars as bars_module
import alphamoe.strategy as strategy_package
from alphamoe.data.actions.store import ACTIONS_KEY
from alphamoe.market.bars import BarStore, Panel
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import ClosedTrades

_FIELDS = ("column", "entry_row", "exit_row", "ret")
_STORE_FILES = ("sessions.parquet", "instruments.parquet", ACTIONS_KEY, "meta.json")


def _code_digest() -> str:
    # the source that turns bars into trades: every module of the strategy package and the panel's
    digest = hashlib.sha256()
    package = Path(next(iter(strategy_package.__path__)))
    for path in sorted([*package.rglob("*.py"), Path(str(bars_module.__file__))]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def store_fingerprint(store: BarStore) -> str | None:
    """Return a digest of the store's own files (path, size, mtime; `market.bars` layout), or None for a
    remote store. Only those: the runs folder, this cache among them, may lie under the same data root."""
    if not isinstance(store.root, Path):
        return None
    root = store.root
    files = [*(root / "bars").glob("*.parquet"), *(root / name for name in _STORE_FILES)]
    digest = hashlib.sha256()
    for path in sorted(p for p in files if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(store.root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class KellyCache:
    """Closed trades per Kelly window, one small `.npz` a window under `folder` (module docstring)."""

    def __init__(self, folder: Path, fingerprint: str) -> None:
        self.folder = folder
        self._base = hashlib.sha256(f"{fingerprint}\0{_code_digest()}".encode()).hexdigest()

    @classmethod
    def for_store(cls, folder: Path, store: BarStore) -> KellyCache | None:
        """Return a cache for the store's data, or None when the store has no local fingerprint."""
        fingerprint = store_fingerprint(store)
        return None if fingerprint is None else cls(folder, fingerprint)

    def key(self, panel: Panel, first: int, row: int, strategy: Strategy, fee_rate: float) -> str:
        """Return the key of the trades of the window [first, row] of `panel`: data, columns, sessions,
        strategy, parameters, fee, code."""
        digest = hashlib.sha256(self._base.encode())
        digest.update("\0".join(panel.symbols).encode())
        digest.update(f"\0{panel.dates[first]}\0{panel.dates[row]}\0{row - first + 1}".encode())
        digest.update(f"\0{strategy.name}\0{strategy.params.model_dump_json()}\0{fee_rate!r}".encode())
        return digest.hexdigest()

    def trades(self, key: str, compute: Callable[[], ClosedTrades]) -> ClosedTrades:
        """Return the trades stored under `key`, or compute, store and return them."""
        path = self.folder / key[:2] / f"{key}.npz"
        if path.exists():
            with np.load(path) as stored:
                return ClosedTrades(**{name: stored[name] for name in _FIELDS})
        trades = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")  # written whole, then renamed
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **{name: getattr(trades, name) for name in _FIELDS})
        os.replace(temporary, path)
        return trades
