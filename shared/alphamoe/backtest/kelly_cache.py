"""A file cache of the closed trades behind each Kelly refresh, so a rerun does not run the strategy again.

A refresh's trades (`Strategy.window_trades`) depend only on the window's bars, the panel's columns, the
strategy with its parameters, the fee rate and the code that computes them. Refreshes are anchored on the
calendar (`refresh_rows`), so a rerun, a longer or later span and a warm rerun read the same windows: each
is keyed by the store's fingerprint (every file's path, size and modification time), the columns, the
window's first and last session and length, the strategy's name and parameters, the fee rate and the
source of every module that can change a trade: the packages `alphamoe.strategy`, `alphamoe.market` and
`alphamoe.backtest`, and `alphamoe.jit`. p and b are recomputed from the trades (`kelly_stats`,
milliseconds), so the prior strength is not part of the key. A key that matches nothing runs the strategy;
nothing stale can be read, only missed.

The folder is pruned after each run to the `max_bytes` most recently used entries (a read refreshes an
entry's time), so it does not grow with every span, universe and parameter set tried.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

import alphamoe.backtest as backtest_package
import alphamoe.jit as jit_module
import alphamoe.market as market_package
import alphamoe.strategy as strategy_package
from alphamoe.data.actions.store import ACTIONS_KEY
from alphamoe.market.bars import BarStore, Panel
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import ClosedTrades

_FIELDS = ("column", "entry_row", "exit_row", "ret")
_STORE_FILES = ("sessions.parquet", "instruments.parquet", ACTIONS_KEY, "meta.json")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # ~2,000 refreshes of 5,500 stocks


def code_files() -> list[Path]:
    """Return the source files whose code can change a window's trades (module docstring): every module of
    the strategy, market and backtest packages, imported or not, the market's rule files, and the jit
    settings."""
    files = [Path(str(jit_module.__file__))]
    for package in (backtest_package, market_package, strategy_package):
        root = Path(next(iter(package.__path__)))
        files.extend([*root.rglob("*.py"), *root.rglob("*.toml")])
    return sorted(files)


def source_digest(files: list[Path]) -> str:
    """Return a digest of the files' names and bytes."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Return `source_digest(code_files())`, computed once per process."""
    return source_digest(code_files())


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
    """Closed trades per Kelly window, one small `.npz` a window under `folder` (module docstring).

    `hits` and `misses` count this instance's reads.
    """

    def __init__(self, folder: Path, fingerprint: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._base = hashlib.sha256(f"{fingerprint}\0{code_digest()}".encode()).hexdigest()

    @classmethod
    def for_store(cls, folder: Path, store: BarStore, *, max_bytes: int = DEFAULT_MAX_BYTES) -> KellyCache | None:
        """Return a cache for the store's data, or None when the store has no local fingerprint."""
        fingerprint = store_fingerprint(store)
        return None if fingerprint is None else cls(folder, fingerprint, max_bytes=max_bytes)

    def key(self, panel: Panel, first: int, row: int, strategy: Strategy, fee_rate: float) -> str:
        """Return the key of the trades of the window [first, row] of `panel`: data, columns, sessions,
        strategy, parameters, fee, code."""
        digest = hashlib.sha256(self._base.encode())
        digest.update("\0".join(panel.symbols).encode())
        digest.update(f"\0{panel.dates[first]}\0{panel.dates[row]}\0{row - first + 1}".encode())
        digest.update(f"\0{strategy.name}\0{strategy.params.model_dump_json()}\0{fee_rate!r}".encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str) -> ClosedTrades | None:
        """Return the trades stored under `key` (and mark the entry used), or None."""
        path = self._path(key)
        try:
            with np.load(path) as stored:
                trades = ClosedTrades(**{name: stored[name] for name in _FIELDS})
        except FileNotFoundError:
            self.misses += 1
            return None
        os.utime(path)  # recently used: kept by `prune`
        self.hits += 1
        return trades

    def put(self, key: str, trades: ClosedTrades) -> None:
        """Store `trades` under `key`, written whole to a temporary file, then renamed."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **{name: getattr(trades, name) for name in _FIELDS})
        os.replace(temporary, path)

    def prune(self) -> int:
        """Delete the least recently used entries beyond `max_bytes`; return how many went."""
        entries = []
        for path in self.folder.glob("*/*.npz"):
            try:
                stat = path.stat()
            except FileNotFoundError:  # another run pruned it
                continue
            entries.append((stat.st_mtime_ns, path.name, stat.st_size, path))
        entries.sort(reverse=True)  # newest first; the name breaks ties, so the order is deterministic
        kept, removed = 0, 0
        for _, _, size, path in entries:
            kept += size
            if kept > self.max_bytes:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
