"""S3 (and Alibaba OSS, MinIO…) as an ObjectStore through boto3.

A PUT is atomic on S3: the object appears whole when the request completes, or not at all. Every PUT
carries Content-MD5, so a body cut short in transit is refused by the server instead of stored. Streams
use a multipart upload that is completed only after the last part and aborted on any failure.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from alphamoe.storage.base import (
    ObjectNotFoundError,
    StorageAccessDeniedError,
    StorageError,
    StorageUnavailableError,
    check_key,
)
from alphamoe.storage.config import S3Settings
from alphamoe.storage.location import S3Location

PART_SIZE = 8 * 1024 * 1024  # multipart parts: S3 needs ≥ 5 MiB for every part but the last
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "AllAccessDisabled"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


def make_client(settings: S3Settings, *, access_key: str | None = None, secret_key: str | None = None) -> Any:
    """Return a boto3 S3 client for `settings`; credentials come from boto3's chain (environment first).

    Explicit keys are for tests and tools; the product leaves them to the chain.
    """
    import boto3  # type: ignore[import-untyped,unused-ignore]
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        s3={"addressing_style": settings.addressing_style},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    return session.client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region or "us-east-1", config=config
    )


class S3Store:
    """Objects under `s3://bucket/prefix`, one boto3 client (thread-safe) shared by all reads."""

    def __init__(self, location: S3Location, client: Any) -> None:
        self.location = location
        self.client = client

    @classmethod
    def open(cls, location: S3Location, settings: S3Settings | None = None) -> S3Store:
        return cls(location, make_client(settings or S3Settings()))

    @property
    def url(self) -> str:
        return self.location.url

    def __repr__(self) -> str:
        return f"S3Store({self.url})"

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.location.prefix}/{key}" if self.location.prefix else key

    def _error(self, exc: Exception, action: str, key: str) -> StorageError:
        from botocore.exceptions import ClientError, NoCredentialsError  # type: ignore[import-untyped,unused-ignore]

        where = f"{self.url}/{key}" if key else self.url
        if isinstance(exc, NoCredentialsError):
            return StorageAccessDeniedError(
                f"cannot {action} {where}: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            )
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return StorageAccessDeniedError(
                    f"cannot {action} {where}: bucket {self.location.bucket!r} does not exist"
                )
            if code in _DENIED or status == 403:
                return StorageAccessDeniedError(
                    f"cannot {action} {where}: access denied ({code}); check AWS_ACCESS_KEY_ID, "
                    "AWS_SECRET_ACCESS_KEY and the bucket policy"
                )
            if code in _MISSING:
                return ObjectNotFoundError(f"no object {key!r} in {self.url}")
            return StorageUnavailableError(f"cannot {action} {where}: {code or status} {exc}")
        return StorageUnavailableError(f"cannot {action} {where}: {type(exc).__name__}: {exc}")

    def _call(self, action: str, key: str, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped,unused-ignore]

        try:
            return getattr(self.client, method)(Bucket=self.location.bucket, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, action, key) from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._call("write", key, "put_object", Key=self._key(key), Body=data, ContentMD5=md5)

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        parts = _parts(chunks)
        first = next(parts, b"")
        second = next(parts, None)
        if second is None:  # small: one atomic PUT
            self.put_bytes(key, first)
            return
        name = self._key(key)
        upload = self._call("start an upload of", key, "create_multipart_upload", Key=name)["UploadId"]
        try:
            done = []
            for number, part in enumerate(_chain(first, second, parts), start=1):
                md5 = base64.b64encode(hashlib.md5(part, usedforsecurity=False).digest()).decode()
                answer = self._call(
                    "write", key, "upload_part", Key=name, UploadId=upload, PartNumber=number, Body=part, ContentMD5=md5
                )
                done.append({"PartNumber": number, "ETag": answer["ETag"]})
            self._call(
                "write", key, "complete_multipart_upload", Key=name, UploadId=upload, MultipartUpload={"Parts": done}
            )
        except BaseException:
            # never completed: nothing was published; free the parts (best effort, S3 lifecycle cleans the rest)
            with contextlib.suppress(StorageError):
                self._call("abort an upload of", key, "abort_multipart_upload", Key=name, UploadId=upload)
            raise

    def get_bytes(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped,unused-ignore]

        answer = self._call("read", key, "get_object", Key=self._key(key))
        try:
            body: bytes = answer["Body"].read()
        except BotoCoreError as exc:
            raise self._error(exc, "read", key) from exc
        return body

    def get_range(self, key: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        rng = f"bytes={start}-{start + length - 1}"
        answer = self._call("read", key, "get_object", Key=self._key(key), Range=rng)
        body: bytes = answer["Body"].read()
        return body

    def size(self, key: str) -> int:
        return int(self._call("read", key, "head_object", Key=self._key(key))["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFoundError:
            return False
        return True

    def list(self, prefix: str = "") -> list[str]:
        base = f"{self.location.prefix}/" if self.location.prefix else ""
        keys: list[str] = []
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list", prefix, "list_objects_v2", Prefix=base + prefix, **extra)
            keys.extend(str(item["Key"])[len(base) :] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return sorted(keys)
            token = page["NextContinuationToken"]

    def delete(self, key: str) -> None:
        self._call("delete", key, "delete_object", Key=self._key(key))

    def copy(self, source: str, target: str) -> None:
        """Copy `source` to `target` server-side (CopyObject: atomic, the bytes never leave the bucket)."""
        where = {"Bucket": self.location.bucket, "Key": self._key(source)}
        self._call("copy", source, "copy_object", Key=self._key(target), CopySource=where)

    def child(self, prefix: str) -> S3Store:
        return S3Store(self.location.join(prefix), self.client)

    def local_path(self, key: str) -> Path | None:
        return None

    def require_bucket(self) -> None:
        """Raise StorageAccessDeniedError when the bucket is missing or the credentials cannot reach it."""
        self._call("open", "", "head_bucket")


def _parts(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # regroup arbitrary chunks into parts of at least PART_SIZE (the last may be smaller)
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= PART_SIZE:
            yield bytes(buffer[:PART_SIZE])
            del buffer[:PART_SIZE]
    if buffer:
        yield bytes(buffer)


def _chain(first: bytes, second: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield second
    yield from rest
