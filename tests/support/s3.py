"""The S3 the integration tests share: moto in its own process on 127.0.0.1, checking signatures (an IAM user).

The `s3` and `s3_env` fixtures (tests/integration/conftest.py) start it with `serve_s3` and hand its
environment to a test with `s3_environment`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alphamoe.storage.local_s3 import LocalS3

BUCKET = "alphamoe-test"
"""The bucket the server is started with; each test writes under its own prefix."""


def serve_s3(folder: Path) -> Iterator[LocalS3]:
    """Run the server with auth and `BUCKET` created, stopping it when the generator closes."""
    server = LocalS3(folder).start().with_auth()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


def s3_environment(s3: LocalS3, monkeypatch: pytest.MonkeyPatch) -> LocalS3:
    """Set the variables a user sets: endpoint and credentials, read by S3Settings and boto3's own chain."""
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return s3
