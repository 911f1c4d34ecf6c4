"""The local Redis is hardened: no anonymous access, the fabric's user cannot reconfigure or wipe the server.

Its own server (not the session's): a test that fails here on an unhardened server must not shut down or
flush the Redis every other test uses.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from alphamoe.kv.config import LocalRedisSettings
from alphamoe.kv.server import LocalRedis


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    started = LocalRedis(tmp_path_factory.mktemp("acl-redis"), settings=LocalRedisSettings(maxmemory_mb=16)).start()
    yield started
    started.stop()


@pytest.fixture
def functions(server: LocalRedis) -> Iterator[redis.Redis]:
    admin = redis.Redis.from_url(server.admin_url)
    admin.flushdb()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield client
    client.close()
    admin.flushdb()
    admin.close()


def test_command_when_not_authenticated_then_noauth(server: LocalRedis) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:  # no client library, no HELLO
        raw.sendall(b"PING\r\nCONFIG SET dir /tmp\r\n")
        answer = b""
        while answer.count(b"\r\n") < 2:
            answer += raw.recv(4096)
    assert answer.startswith(b"-NOAUTH") and answer.count(b"-NOAUTH") == 2
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=server.port).ping()


def test_config_set_dir_when_functions_user_then_noperm(functions: redis.Redis, tmp_path: Path) -> None:
    # on Redis 6.2, CONFIG SET dir + dbfilename + SAVE writes the dataset over any file the server may write
    with pytest.raises(redis.exceptions.NoPermissionError):
        functions.config_set("dir", str(tmp_path))
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "command",
    [
        ("CONFIG", "GET", "dir"),
        ("DEBUG", "SLEEP", "0"),
        ("MODULE", "LIST"),
        ("ACL", "LIST"),
        ("SHUTDOWN", "NOSAVE"),
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("SAVE",),
        ("BGSAVE",),
        ("BGREWRITEAOF",),
        ("REPLICAOF", "NO", "ONE"),
        ("SLAVEOF", "NO", "ONE"),
        ("MONITOR",),
        ("KEYS", "*"),
        ("CLIENT", "LIST"),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_admin_command_when_functions_user_then_noperm(functions: redis.Redis, command: tuple[str, ...]) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        functions.execute_command(*command)


def test_key_outside_alphamoe_when_functions_user_then_noperm(functions: redis.Redis) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        functions.set("elsewhere", "1")


def test_fabric_commands_when_functions_user_then_allowed(functions: redis.Redis) -> None:
    """What the bus, bridge, journal, risk and clock run: streams, groups, claims, scripts, SET NX, hashes, sets."""
    entry = functions.xadd("alphamoe:t:stream", {"data": "x"}, maxlen=100, approximate=True)
    functions.xgroup_create("alphamoe:t:stream", "g", id="0", mkstream=True)
    assert functions.xreadgroup("g", "c1", {"alphamoe:t:stream": ">"}, count=1)
    assert functions.xautoclaim("alphamoe:t:stream", "g", "c2", min_idle_time=0)[1][0][0] == entry
    assert functions.xack("alphamoe:t:stream", "g", entry) == 1
    assert functions.xinfo_groups("alphamoe:t:stream")[0]["name"] == "g"
    script = functions.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert script(keys=["alphamoe:t:n"], args=[2]) == 2  # SCRIPT LOAD / EVALSHA
    assert functions.set("alphamoe:t:claim", "1", nx=True, ex=60) is True
    assert functions.hset("alphamoe:t:h", "k", "v") == 1 and functions.sadd("alphamoe:t:s", "m") == 1
    assert functions.ping() is True


def test_script_when_it_touches_a_key_outside_alphamoe_then_noperm(functions: redis.Redis) -> None:
    with pytest.raises(redis.exceptions.ResponseError, match="can't access at least one of the keys"):
        functions.eval("return redis.call('SET', 'elsewhere', '1')", 0)


def test_write_when_maxmemory_reached_then_refused_and_nothing_evicted(
    server: LocalRedis, functions: redis.Redis
) -> None:
    assert functions.set("alphamoe:t:first", "kept") is True
    chunk, written = "x" * (1 << 20), 0
    with pytest.raises(redis.exceptions.OutOfMemoryError):  # noqa: PT012 - the write that crosses the cap raises
        for written in range(64):  # 64 MB into a 16 MB server
            functions.set(f"alphamoe:t:blob:{written}", chunk)
    assert 8 < written < 16
    assert functions.get("alphamoe:t:first") == "kept"
    admin = redis.Redis.from_url(server.admin_url, decode_responses=True)
    assert admin.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}


def test_passwords_when_server_runs_then_in_a_0600_file_not_on_its_command_line(server: LocalRedis) -> None:
    assert server.process is not None
    argv = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
    assert server.passwords.functions.encode() not in argv and server.passwords.admin.encode() not in argv
    assert os.stat(server.config_path).st_mode & 0o777 == 0o600
