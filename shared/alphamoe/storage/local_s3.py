"""A real S3-compatible server on 127.0.0.1 (moto's server, a dev dependency): for tests and benchmarks.

It runs as its own process, so timings of a client in this process are not distorted by the server sharing
its interpreter. `with_auth()` makes the server check signatures against an IAM user it creates, so wrong
credentials are refused as AWS and OSS refuse them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from alphamoe.errors import ConfigurationError
from alphamoe.kv.server import free_port
from alphamoe.storage.config import S3Settings

_ADMIN_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


@dataclass
class LocalS3:
    """`python -m moto.server` on 127.0.0.1:`port`; its log under `directory`."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    access_key: str = "testing"
    secret_key: str = "testing"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> S3Settings:
        return S3Settings(endpoint_url=self.endpoint_url, region="us-east-1", addressing_style="path")

    def environment(self) -> dict[str, str]:
        """Return the variables a client process needs to reach this server."""
        return {
            "ALPHAMOE_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(
        self, access_key: str | None = None, secret_key: str | None = None, *, settings: S3Settings | None = None
    ) -> Any:
        """Return a boto3 client built as the product builds it, with these keys (default: the server's)."""
        from alphamoe.storage.s3 import make_client

        return make_client(
            settings or self.settings(),
            access_key=access_key or self.access_key,
            secret_key=secret_key or self.secret_key,
        )

    def start(self, timeout: float = 20.0) -> LocalS3:
        """Start the server and wait until it answers."""
        if importlib.util.find_spec("moto") is None:
            raise ConfigurationError(
                "no local S3 server: install the dev extra (`pip install -e '.[dev]'`, moto[server])"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "moto.log").open("ab")
        args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigurationError(f"moto server exited at start; see {self.directory / 'moto.log'}")
            try:
                httpx.get(f"{self.endpoint_url}/moto-api/data.json", timeout=0.5)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise ConfigurationError(f"moto server did not answer on port {self.port} within {timeout} s")

    def with_auth(self) -> LocalS3:
        """Create an IAM user allowed everything, use its keys, and make the server check every request."""
        import boto3  # type: ignore[import-untyped,unused-ignore]

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="alphamoe")
        iam.put_user_policy(UserName="alphamoe", PolicyName="all", PolicyDocument=_ADMIN_POLICY)
        key = iam.create_access_key(UserName="alphamoe")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        httpx.post(f"{self.endpoint_url}/moto-api/reset-auth", content=b"0", timeout=5).raise_for_status()
        return self

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
