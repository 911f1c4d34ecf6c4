"""A local directory as an ObjectStore: writes go to a hidden temporary file, then `os.replace`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from alphamoe.storage.base import ObjectNotFoundError, StorageError, check_key

_TMP_MARK = ".tmp-"


class LocalStore:
    """Objects are files under `root`; a write is published by an atomic rename, so readers never see a part."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    @property
    def url(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({self.root})"

    def _file(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.put_stream(key, (data,))

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        replace_file(self._file(key), chunks)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._file(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFoundError(f"no object {key!r} in {self.url}") from None
        except IsADirectoryError:
            raise ObjectNotFoundError(f"{key!r} in {self.url} is a folder, not an object") from None

    def get_range(self, key: str, start: int, length: int) -> bytes:
        try:
            with self._file(key).open("rb") as fh:
                fh.seek(start)
                return fh.read(length)
        except FileNotFoundError:
            raise ObjectNotFoundError(f"no object {key!r} in {self.url}") from None

    def size(self, key: str) -> int:
        try:
            return self._file(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFoundError(f"no object {key!r} in {self.url}") from None

    def exists(self, key: str) -> bool:
        return self._file(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        keys = []
        for path in self.root.rglob("*"):
            if path.is_file() and not (path.name.startswith(".") and _TMP_MARK in path.name):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def delete(self, key: str) -> None:
        try:
            self._file(key).unlink(missing_ok=True)
        except IsADirectoryError:
            raise StorageError(f"{key!r} in {self.url} is a folder, not an object") from None

    def child(self, prefix: str) -> LocalStore:
        return LocalStore(self._file(prefix.strip("/")))

    def local_path(self, key: str) -> Path | None:
        return self._file(key)


def replace_file(target: Path, chunks: Iterable[bytes], *, mode: int = 0o666) -> None:
    """Write `target` through a hidden temporary file, fsync and `os.replace`: readers see the old file or the new.

    `mode` applies from the temporary file's creation (before the umask), so a secret written 0600 is never
    readable by others, not even for a moment.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}{_TMP_MARK}{uuid.uuid4().hex}")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes) -> Path:
    """Write one file by the store's temp-file-and-rename: a crash or a full disk leaves the old file whole."""
    path = Path(path)
    replace_file(path, (data,))
    return path
