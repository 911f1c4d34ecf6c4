"""A disk that fills up mid-write: every file opened for writing takes half the first write, then ENOSPC."""

from __future__ import annotations

import errno
import os
import pathlib
from types import TracebackType
from typing import IO, Any

import pytest


class _FullDiskFile:
    def __init__(self, real: IO[Any]) -> None:
        self.real = real

    def write(self, data: Any) -> int:
        self.real.write(data[: len(data) // 2])
        self.real.flush()  # the partial bytes reach the file, as on a disk that filled up
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> _FullDiskFile:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.real.close()


def fill_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, any file opened for writing (`Path.open`, `Path.write_text`/`write_bytes`, `os.fdopen`)
    fails midway."""
    real_open, real_fdopen = pathlib.Path.open, os.fdopen

    def open_(self: pathlib.Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, mode, *args, **kwargs)
        return _FullDiskFile(handle) if any(m in mode for m in "wax") else handle

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_fdopen(fd, mode, *args, **kwargs)
        return _FullDiskFile(handle) if any(m in mode for m in "wax") else handle

    monkeypatch.setattr(pathlib.Path, "open", open_)
    monkeypatch.setattr(os, "fdopen", fdopen)
