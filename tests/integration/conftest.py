"""Fixtures the integration tests share: the S3 server (support.s3) and its client environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.s3 import s3_environment, serve_s3

from alphamoe.storage.local_s3 import LocalS3


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalS3]:
    """A moto S3 server with auth and `support.s3.BUCKET`, one per test module."""
    yield from serve_s3(tmp_path_factory.mktemp("s3"))


@pytest.fixture
def s3_env(s3: LocalS3, monkeypatch: pytest.MonkeyPatch) -> LocalS3:
    """The variables a user sets: endpoint and credentials, read by S3Settings and boto3's own chain."""
    return s3_environment(s3, monkeypatch)
