"""Open the ObjectStore behind a data location."""

from __future__ import annotations

from pathlib import Path

from alphamoe.storage.base import ObjectStore
from alphamoe.storage.config import S3Settings
from alphamoe.storage.local import LocalStore
from alphamoe.storage.location import S3Location, parse_location, parse_s3
from alphamoe.storage.s3 import S3Store


def open_store(location: Path | str | S3Location | ObjectStore, *, s3: S3Settings | None = None) -> ObjectStore:
    """Return the store for a folder, an `s3://bucket/prefix` URL, or an already open store.

    `s3` defaults to S3Settings() from the environment (ALPHAMOE_S3_ENDPOINT_URL or AWS_ENDPOINT_URL).
    """
    if isinstance(location, ObjectStore):
        return location
    parsed = parse_location(location)
    if isinstance(parsed, Path):
        return LocalStore(parsed)
    return S3Store.open(parse_s3(parsed), s3)
