"""The local Redis the tests and the cluster use is real, durable across a restart, and fails clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphamoe.errors import ConfigurationError
from alphamoe.kv.client import connect
from alphamoe.kv.server import LocalRedis


def test_fixture_gives_a_clean_real_database(redis_url: str) -> None:
    client = connect(redis_url)
    assert client.dbsize() == 0
    client.xadd("alphamoe:test", {"k": "v"})
    assert client.xlen("alphamoe:test") == 1


def test_append_only_file_survives_a_kill(tmp_path: Path) -> None:
    server = LocalRedis(tmp_path).start()
    try:
        connect(server.admin_url).config_set("appendfsync", "always")
        client = connect(server.url)
        client.set("alphamoe:journal:o1", "SUBMITTED")
        server.stop(kill=True)
        server.start()
        assert connect(server.url).get("alphamoe:journal:o1") == "SUBMITTED"
    finally:
        server.stop()


def test_unreachable_redis_is_a_configuration_error() -> None:
    from alphamoe.kv.server import free_port

    with pytest.raises(ConfigurationError, match="cannot reach Redis"):
        connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)


def test_connect_when_unreachable_then_error_masks_the_password() -> None:
    from alphamoe.kv.server import free_port

    with pytest.raises(ConfigurationError) as caught:
        connect(f"redis://functions:s3cret-password@127.0.0.1:{free_port()}/0", timeout=0.5)
    assert "s3cret-password" not in str(caught.value)
    assert "redis://functions:***@127.0.0.1:" in str(caught.value)


def test_connect_when_url_malformed_then_error_masks_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        connect("redis://functions:s3cret-password@127.0.0.1:notaport/0", timeout=0.5)
    assert "s3cret-password" not in str(caught.value)


def test_revive_when_killed_then_restarted_on_same_port_with_acknowledged_writes(tmp_path: Path) -> None:
    server = LocalRedis(tmp_path).start()
    try:
        client = connect(server.url)
        client.hset("alphamoe:journal:acct", mapping={str(i): "SUBMITTED" for i in range(100)})
        port = server.port
        assert server.revive() is False  # alive: nothing to do
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        assert server.revive() is True
        assert server.port == port and client.hlen("alphamoe:journal:acct") == 100  # the same client reconnects
    finally:
        server.stop()
    assert server.revive() is False  # stopped on purpose: stays down
