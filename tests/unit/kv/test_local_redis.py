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
        client = connect(server.url)
        client.config_set("appendfsync", "always")
        client.set("journal:o1", "SUBMITTED")
        server.stop(kill=True)
        server.start()
        assert connect(server.url).get("journal:o1") == "SUBMITTED"
    finally:
        server.stop()


def test_unreachable_redis_is_a_configuration_error() -> None:
    from alphamoe.kv.server import free_port

    with pytest.raises(ConfigurationError, match="cannot reach Redis"):
        connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
