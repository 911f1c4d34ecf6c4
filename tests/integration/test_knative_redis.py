"""knative/redis.yaml's own start script and redis.conf, run on a real redis-server on 127.0.0.1.

The manifest is the unit under test: its ACL users come from the Secret's passwords, a client without one
gets nothing, the `functions` user cannot reconfigure or wipe the server, and a placeholder password stops
Redis from starting at all.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import yaml
from redis.backoff import NoBackoff
from redis.retry import Retry
from support.manifests import KNATIVE, env_of

from alphamoe.kv.server import free_port, redis_executable

pytestmark = pytest.mark.integration
STRONG = "0123456789abcdef" * 4


@dataclass(frozen=True)
class Manifest:
    config: str
    script: str
    env: frozenset[str]


def _manifest() -> Manifest:
    docs = [d for d in yaml.safe_load_all((KNATIVE / "redis.yaml").read_text()) if d]
    [config] = [d for d in docs if d["kind"] == "ConfigMap"]
    [stateful] = [d for d in docs if d["kind"] == "StatefulSet"]
    [container] = stateful["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["/bin/sh", "-c"]
    return Manifest(config["data"]["redis.conf"], container["args"][0], frozenset(env_of(container)))


def _start(tmp: Path, admin: str, functions: str) -> tuple[subprocess.Popen[bytes], int]:
    # The pod's paths mapped into tmp; the port moved to a free one on loopback; the Secret as environment.
    manifest = _manifest()
    port = free_port()
    for sub in ("data", "run", "etc"):
        (tmp / sub).mkdir(exist_ok=True)
    config = manifest.config.replace("/data", str(tmp / "data")).replace("/run/redis", str(tmp / "run"))
    (tmp / "etc" / "redis.conf").write_text(f"{config}\nport {port}\nbind 127.0.0.1\n")
    script = (
        manifest.script.replace("/run/redis", str(tmp / "run"))
        .replace("/etc/redis/redis.conf", str(tmp / "etc" / "redis.conf"))
        .replace("exec redis-server ", f"exec {redis_executable()} ")
    )
    env = {**os.environ, "REDIS_ADMIN_PASSWORD": admin, "REDIS_FUNCTIONS_PASSWORD": functions}
    assert {"REDIS_ADMIN_PASSWORD", "REDIS_FUNCTIONS_PASSWORD"} <= manifest.env
    process = subprocess.Popen(["/bin/sh", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return process, port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    process, port = _start(tmp_path, STRONG[::-1], STRONG)
    deadline = time.monotonic() + 10
    admin = redis.Redis.from_url(f"redis://admin:{STRONG[::-1]}@127.0.0.1:{port}/0", socket_connect_timeout=0.2)
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else b""
        try:
            admin.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)
    yield port, tmp_path
    process.terminate()
    process.wait(timeout=10)


def test_redis_manifest_when_running_then_no_password_no_access(server: tuple[int, Path]) -> None:
    port, _ = server
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port, retry=Retry(NoBackoff(), 0)).set("alphamoe:x", "1")


def test_redis_manifest_when_functions_user_then_data_commands_only_on_alphamoe_keys(
    server: tuple[int, Path],
) -> None:
    port, tmp = server
    functions = redis.Redis.from_url(f"redis://functions:{STRONG}@127.0.0.1:{port}/0")
    assert functions.xadd("alphamoe:com.alphamoe.market.open", {"a": "1"})
    assert functions.eval("return redis.call('INCR', KEYS[1])", 1, "alphamoe:n") == 1
    for command in (
        ("CONFIG", "SET", "dir", str(tmp)),
        ("FLUSHALL",),
        ("DEBUG", "SLEEP", "0"),
        ("ACL", "LIST"),
        ("KEYS", "*"),
        ("SHUTDOWN", "NOSAVE"),
        ("SET", "not-ours", "1"),
    ):
        with pytest.raises(redis.exceptions.NoPermissionError):
            functions.execute_command(*command)  # type: ignore[no-untyped-call]
    assert (tmp / "run" / "users.acl").stat().st_mode & 0o077 == 0  # the passwords' file: owner only


def test_redis_manifest_when_running_then_maxmemory_with_noeviction(server: tuple[int, Path]) -> None:
    port, _ = server
    admin = redis.Redis.from_url(f"redis://admin:{STRONG[::-1]}@127.0.0.1:{port}/0", decode_responses=True)
    assert admin.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert int(str(admin.config_get("maxmemory")["maxmemory"])) > 0


@pytest.mark.parametrize(
    ("admin", "functions"),
    [("replace-with-64-hex-chars-from-openssl-rand-hex-32", STRONG), (STRONG, "short"), (STRONG, "")],
)
def test_redis_manifest_when_password_is_a_placeholder_or_short_then_refuses_to_start(
    tmp_path: Path, admin: str, functions: str
) -> None:
    process, _ = _start(tmp_path, admin, functions)
    assert process.wait(timeout=10) != 0
    assert b"alphamoe-secrets" in (process.stdout.read() if process.stdout else b"")
    assert not (tmp_path / "run" / "users.acl").exists()
