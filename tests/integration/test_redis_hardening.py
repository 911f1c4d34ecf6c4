"""The local cluster's Redis as a hardened dependency: passwords never shown, secrets 0600, a dead Redis revived.

Small clusters (Redis, the scan function, the bridge) keep the fast tests fast; one whole cluster proves a
day still completes after its Redis was SIGKILLed mid-day.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from alphamoe.bus.progress import wait_quiet
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.bus.triggers import publish_market_close, publish_market_open
from alphamoe.cli.app import app
from alphamoe.cli.fabric_commands import cluster_status, fabric_settings
from alphamoe.cluster.supervisor import LocalCluster
from alphamoe.events import event_type_of
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # each cluster takes 15-25 s to start
SECRET_FILES = ("state.json", "redis.url", "approval.secret", "event.key")


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def _password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def small_cluster(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Its own Redis (started by the supervisor, with passwords), scan and the bridge; in <runs>/cluster."""
    runs = tmp_path_factory.mktemp("hardening") / "runs"
    running = LocalCluster(runs / "cluster", Settings(data=market_dir, runs=runs), functions=("scan",)).up()
    try:
        yield running
    finally:
        running.down()


def test_cluster_up_when_own_redis_then_secrets_0600_and_passwords_never_shown(small_cluster: LocalCluster) -> None:
    folder = small_cluster.directory
    assert small_cluster.redis is not None
    passwords = (small_cluster.redis.passwords.functions, small_cluster.redis.passwords.admin)
    code, table = _cli("cluster", "status", "--dir", str(folder))
    assert code == 0, table
    code, document = _cli("cluster", "status", "--json", "--dir", str(folder))
    assert code == 0, document
    state_file = (folder / "state.json").read_text(encoding="utf-8")
    for shown in (table, document, state_file):
        assert not any(p in shown for p in passwords)
    assert json.loads(document)["redis_url"] == f"redis://functions:***@127.0.0.1:{small_cluster.redis.port}/0"
    assert json.loads(document)["redis_ready"] is True
    private = [folder / name for name in SECRET_FILES] + [folder / "redis" / "redis.conf"]
    private += list(folder.glob("redis-*.password"))
    assert len(private) == len(SECRET_FILES) + 3
    assert {p.name: _mode(p) for p in private} == {p.name: 0o600 for p in private}


def test_cluster_children_when_started_then_given_the_event_key_and_credentials(small_cluster: LocalCluster) -> None:
    scan = small_cluster.children["scan"]
    environ = Path(f"/proc/{scan.pid}/environ").read_bytes().split(b"\0")
    keys = small_cluster.keys
    assert f"ALPHAMOE_EVENT_KEY={keys.event_key}".encode() in environ
    assert f"ALPHAMOE_APPROVAL_SECRET={keys.approval_secret}".encode() in environ
    assert f"ALPHAMOE_REDIS_URL={small_cluster.redis_url}".encode() in environ
    assert small_cluster.redis_url.startswith("redis://functions:")  # not the admin


def test_cli_when_cluster_running_then_status_and_risk_find_its_credentials(small_cluster: LocalCluster) -> None:
    env = {"ALPHAMOE_RUNS": str(small_cluster.settings.runs_dir)}  # the cluster is <runs>/cluster
    code, out = _cli("status", "--json", "--dir", str(small_cluster.directory), env=env)
    assert code == 0, out
    assert {g["group"] for g in json.loads(out)["groups"]} == {"scan"}
    code, out = _cli("risk", "status", env=env)
    assert code == 0, out
    settings = fabric_settings(directory=small_cluster.directory)
    assert settings.redis_url == small_cluster.redis_url
    assert settings.event_key is not None and settings.event_key.get_secret_value() == small_cluster.keys.event_key


def test_redis_when_not_authenticated_then_refused(small_cluster: LocalCluster) -> None:
    assert small_cluster.redis is not None
    with socket.create_connection(("127.0.0.1", small_cluster.redis.port), timeout=5) as raw:
        raw.sendall(b"CONFIG SET dir /tmp\r\n")
        assert raw.recv(4096).startswith(b"-NOAUTH")


def test_redis_when_sigkilled_then_supervisor_restarts_it_with_every_acknowledged_write(
    small_cluster: LocalCluster,
) -> None:
    server = small_cluster.redis
    assert server is not None and server.process is not None
    client = redis.Redis.from_url(small_cluster.redis_url, decode_responses=True)
    for i in range(200):
        client.hset("alphamoe:test:acked", str(i), "SUBMITTED")  # each one acknowledged before the kill
    port, killed, restarts = server.port, server.process.pid, small_cluster.redis_restarts
    os.kill(killed, signal.SIGKILL)
    _wait(lambda: small_cluster.redis_restarts == restarts + 1, 30, "Redis not restarted")
    assert server.port == port and server.process is not None and server.process.pid != killed
    assert client.hlen("alphamoe:test:acked") == 200  # the client reconnects; the AOF kept every write
    _wait(lambda: all(c["ready"] for c in cluster_status(small_cluster.directory)["children"].values()), 30, "unready")
    state = cluster_status(small_cluster.directory)
    assert state["redis_ready"] is True and state["redis_restarts"] == restarts + 1 and state["redis_pid"] != killed
    code, out = _cli("cluster", "status", "--dir", str(small_cluster.directory))
    assert code == 0, out


def test_cluster_when_redis_url_given_with_password_then_never_shown(
    market_dir: Path, redis_url: str, tmp_path: Path
) -> None:
    """A Redis named by ALPHAMOE_REDIS_URL: its password reaches the children, not the state file or the output."""
    password = _password(redis_url)
    settings = Settings(data=market_dir, runs=tmp_path / "runs", redis_url=redis_url)
    cluster = LocalCluster(tmp_path / "cluster", settings, functions=("scan",)).up()
    try:
        code, table = _cli("cluster", "status", "--dir", str(cluster.directory))
        assert code == 0, table
        code, document = _cli("cluster", "status", "--json", "--dir", str(cluster.directory))
        assert code == 0, document
        state_file = (cluster.directory / "state.json").read_text(encoding="utf-8")
        for shown in (table, document, state_file):
            assert password not in shown
        assert "redis://functions:***@127.0.0.1:" in state_file
        assert _mode(cluster.directory / "state.json") == 0o600
    finally:
        cluster.down()


@pytest.fixture(scope="module")
def whole_cluster(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    folder = tmp_path_factory.mktemp("hardening-whole")
    settings = Settings(data=market_dir, runs=folder / "runs")
    env = {"ALPHAMOE_FABRIC__CLAIM_IDLE_MS": "3000", "ALPHAMOE_FABRIC__BACKOFF_CAP_S": "0.5"}
    running = LocalCluster(folder / "cluster", settings, env=env).up(timeout_s=180)
    try:
        yield running
    finally:
        running.down()


def test_day_when_redis_sigkilled_mid_day_then_restarted_and_the_day_completes(
    whole_cluster: LocalCluster, market_dir: Path
) -> None:
    server = whole_cluster.redis
    assert server is not None and server.process is not None
    day: date = BarStore(market_dir).sessions()[-1]
    settings = fabric_settings(directory=whole_cluster.directory)  # as `alphamoe trigger` finds the cluster
    client = redis.Redis.from_url(whole_cluster.redis_url, decode_responses=True)
    opened, _ = publish_market_open(settings, day)
    routed = stream_of(event_type_of(ev.SignalRouted))
    _wait(lambda: client.exists(routed), 120, "the day never reached route")
    os.kill(server.process.pid, signal.SIGKILL)
    _wait(lambda: whole_cluster.redis_restarts == 1, 30, "Redis not restarted")
    wait_quiet(client, timeout_s=180)
    publish_market_close(settings, day, run_id=opened.run_id)
    wait_quiet(client, timeout_s=180)
    events = RedisBus(client).run_events(opened.run_id)
    assert any(e.type == event_type_of(ev.OrderFilled) for e in events)
    assert any(e.type == event_type_of(ev.MarketClose) for e in events)
    assert len({e.id for e in events}) == len(events), "an event was published twice"
    _wait(lambda: all(c["ready"] for c in cluster_status(whole_cluster.directory)["children"].values()), 60, "unready")
    assert cluster_status(whole_cluster.directory)["redis_ready"] is True
