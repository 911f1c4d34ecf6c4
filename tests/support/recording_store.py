"""An ObjectStore wrapper that records the order of writes and can fail one on purpose (a crash mid-write).

It wraps a real store (LocalStore or S3Store): every call goes through, the test only watches and interrupts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alphamoe.storage import ObjectStore, StorageUnavailableError


class RecordingStore:
    """Pass every call to `inner`; record put/delete keys; raise on the put of `fail_on` (once written: never)."""

    def __init__(self, inner: ObjectStore, fail_on: str | None = None) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.writes: list[str] = []

    @property
    def url(self) -> str:
        return self.inner.url

    def put_bytes(self, key: str, data: bytes) -> None:
        if key == self.fail_on:
            raise StorageUnavailableError(f"injected failure writing {key}")
        self.writes.append(key)
        self.inner.put_bytes(key, data)

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        self.put_bytes(key, b"".join(chunks))

    def get_bytes(self, key: str) -> bytes:
        return self.inner.get_bytes(key)

    def get_range(self, key: str, start: int, length: int) -> bytes:
        return self.inner.get_range(key, start, length)

    def size(self, key: str) -> int:
        return self.inner.size(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str = "") -> list[str]:
        return self.inner.list(prefix)

    def delete(self, key: str) -> None:
        self.writes.append(f"delete {key}")
        self.inner.delete(key)

    def child(self, prefix: str) -> ObjectStore:
        return self.inner.child(prefix)

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(key)
