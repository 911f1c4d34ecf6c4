"""The `ObjectStore` protocol every backend implements, and its errors classified by what the caller does."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from alphamoe.errors import AlphamoeError, ConfigurationError, DataError


class StorageError(AlphamoeError):
    """A storage operation failed; the message names the location and key."""


class ObjectNotFoundError(StorageError, DataError):
    """The key holds no object (never written, deleted, or an interrupted write that was never published)."""


class StorageAccessDeniedError(StorageError, ConfigurationError):
    """Operator must fix: the bucket does not exist, or the credentials are wrong or lack permission."""


class StorageUnavailableError(StorageError):
    """Transient: the endpoint did not answer or the transfer broke; retrying may succeed."""


@runtime_checkable
class ObjectStore(Protocol):
    """Keys are `/`-separated paths below the store's root (e.g. `bars/2024.parquet`).

    Writes are atomic: a reader sees the previous object or the whole new one, never a part of it.
    """

    @property
    def url(self) -> str:
        """Return where the store lives (`/abs/path` or `s3://bucket/prefix`), for messages and meta."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        """Write an object from chunks; if the producer fails, nothing is published under `key`."""
        ...

    def get_bytes(self, key: str) -> bytes: ...

    def get_range(self, key: str, start: int, length: int) -> bytes:
        """Return `length` bytes from `start` (fewer at the end of the object): Parquet footers and row groups."""
        ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> list[str]:
        """Return every key that starts with `prefix`, sorted."""
        ...

    def delete(self, key: str) -> None:
        """Delete `key`; deleting a missing key is not an error."""
        ...

    def child(self, prefix: str) -> ObjectStore:
        """Return the store rooted at `prefix` below this one."""
        ...

    def local_path(self, key: str) -> Path | None:
        """Return the file behind `key` when the store is a local directory (fast paths), else None."""
        ...


def check_key(key: str) -> str:
    """Return `key` if it is a relative `/`-path without `.`/`..` parts; raise StorageError otherwise."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"object key {key!r} must be a relative path like 'bars/2024.parquet'")
    return key
