"""Object storage behind one interface: a local directory (default) or S3/OSS through boto3.

Bars, decision records and reports are written through `ObjectStore` so a function that scales to zero
keeps nothing on its own disk. `open_store("s3://bucket/prefix")` or `open_store(Path(...))`.
"""

from alphamoe.storage.base import (
    ObjectNotFoundError,
    ObjectStore,
    StorageAccessDeniedError,
    StorageError,
    StorageUnavailableError,
)
from alphamoe.storage.config import S3Settings
from alphamoe.storage.location import DataLocation, S3Location, is_s3_url, parse_location
from alphamoe.storage.open import open_store

ObjectNotFound = ObjectNotFoundError  # the short name early callers import

__all__ = [
    "DataLocation",
    "ObjectNotFoundError",
    "ObjectStore",
    "S3Location",
    "S3Settings",
    "StorageAccessDeniedError",
    "StorageError",
    "StorageUnavailableError",
    "is_s3_url",
    "open_store",
    "parse_location",
]
