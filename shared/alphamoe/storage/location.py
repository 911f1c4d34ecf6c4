"""Where data lives: a local folder (`Path`) or an S3 location (`s3://bucket/prefix`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator

from alphamoe.errors import ConfigurationError

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing `/`; empty = the bucket's root)."""

    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def __str__(self) -> str:
        return self.url

    def join(self, *parts: str) -> S3Location:
        keys = [p.strip("/") for p in (self.prefix, *parts) if p.strip("/")]
        return S3Location(self.bucket, "/".join(keys))


def is_s3_url(value: object) -> bool:
    """True for `s3://…`, and for the `s3:/…` a `Path` makes of it (typer options are Paths)."""
    text = str(value)
    return text.startswith("s3://") or (isinstance(value, Path) and value.parts[:1] == ("s3:",))


def parse_s3(value: object) -> S3Location:
    """Return the S3Location of `s3://bucket/prefix` (or of the Path `s3:/bucket/prefix`)."""
    text = str(value)
    rest = text[len("s3://") :] if text.startswith("s3://") else text[len("s3:/") :]
    bucket, _, prefix = rest.strip("/").partition("/")
    if not _BUCKET.match(bucket):
        raise ConfigurationError(
            f"{text!r} does not name an S3 bucket (expected s3://bucket/prefix, bucket 3–63 of a-z 0-9 . -)"
        )
    return S3Location(bucket, "/".join(p for p in prefix.split("/") if p))


def parse_location(value: object) -> Path | str:
    """Return an `s3://bucket/prefix` string for S3 locations, else a user-expanded local Path.

    The one rule behind every `--data`/`--out` option and ALPHAMOE_DATA: S3 locations stay URLs (a Path
    would fold `//`), local folders become Paths.
    """
    if isinstance(value, S3Location):
        return value.url
    if is_s3_url(value):
        return parse_s3(value).url
    if isinstance(value, str | Path):
        return Path(value).expanduser()
    raise ConfigurationError(f"data location {value!r} is neither a folder nor s3://bucket/prefix")


DataLocation = Annotated[Path | str, BeforeValidator(parse_location)]
"""A settings field holding a local folder (Path) or an `s3://bucket/prefix` URL (str)."""


def local_folder(location: Path | str) -> Path | None:
    """Return the local folder of a location, or None for S3."""
    parsed = parse_location(location)
    return parsed if isinstance(parsed, Path) else None
