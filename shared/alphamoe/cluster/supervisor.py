"""Run the local cluster: Redis, one process per function, the bridge; restart what dies, as Knative would.

State (URLs, pids, restarts) is kept in `<dir>/state.json` (0600, the Redis URL masked) so `alphamoe cluster
status` can read it from another process; logs go to `<dir>/logs/<name>.log` (JSON lines); secrets in the
0600 files of `cluster.keys`. A Redis that dies is restarted on the same port and directory: its AOF holds
every write it acknowledged, and the children's clients reconnect on their next command.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import httpx
from pydantic import SecretStr

from alphamoe.bridge.subscriptions import write_subscriptions
from alphamoe.bus.progress import wait_quiet
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.clock.accelerated import AcceleratedTime, accelerated_time
from alphamoe.clock.trigger import Clock
from alphamoe.cluster.keys import ClusterKeys, redis_passwords, write_access
from alphamoe.cluster.schedule import ScheduleKeeper
from alphamoe.cluster.state import read_state as read_state  # its home; imported from here too
from alphamoe.data.feeds.protocol import MarketSource
from alphamoe.errors import ConfigurationError
from alphamoe.kv.server import LocalRedis, free_port
from alphamoe.pipeline.factory import STAGE_NAMES
from alphamoe.pipeline.run import SUBSCRIPTIONS
from alphamoe.security.files import write_private
from alphamoe.security.redact import redact
from alphamoe.settings import Settings

log = logging.getLogger("alphamoe.cluster")
BRIDGE_CONSUMER = "bridge-local"


@dataclass
class Child:
    """One supervised process; `url` is set for functions (health at <url>/health/readiness)."""

    name: str
    argv: list[str]
    log_path: Path
    url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def spawn(self, env: Mapping[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.argv, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        self.started_at = time.time()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


@dataclass
class LocalCluster:
    """The local cluster of DESIGN.md §2 (mode 2), in this process's control."""

    directory: Path
    settings: Settings
    functions: Sequence[str] = STAGE_NAMES
    env: Mapping[str, str] = field(default_factory=dict)
    redis: LocalRedis | None = None
    redis_url: str = ""  # with the functions user's password: children and the clock get it, nothing shows it
    redis_restarts: int = 0
    children: dict[str, Child] = field(default_factory=dict)
    schedule: bool = False  # run the trading day's clock too (`cluster up --schedule`)
    clock_factory: Callable[[Settings], Clock] | None = None  # default alphamoe.clock.wiring.cluster_clock
    vendor: MarketSource | None = None  # the evening update's source; None: the settings' (ALPHAMOE_DATA_SOURCE__*)
    keeper: ScheduleKeeper | None = None
    pace: AcceleratedTime | None = None  # the accelerated clock's time (ALPHAMOE_CLOCK__ACCELERATE_*): kept
    # across restarts of the clock thread, so a restart catches up where the season is
    _stopping: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None
    _state_lock: threading.Lock = field(default_factory=threading.Lock)
    _redis_retry_at: float = 0.0
    _starting: set[str] = field(default_factory=set)  # restarted children not ready yet

    @property
    def state_path(self) -> Path:
        return self.directory / "state.json"

    def up(self, *, timeout_s: float = 120.0) -> LocalCluster:
        """Start Redis (unless settings name one), the functions and the bridge; return when all are ready."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.settings.redis_url:
            self.redis_url = self.settings.redis_url
        else:
            self.redis = LocalRedis(
                self.directory / "redis", passwords=redis_passwords(self.directory), settings=self.settings.local_redis
            ).start()
            self.redis_url = self.redis.url
        write_access(self.directory, self.redis_url)
        env = self._child_env()
        serve = [sys.executable, "-m", "alphamoe.functions.serve"]  # the container's lean entry point
        logs = self.directory / "logs"
        for name in self.functions:
            port = free_port()
            child = Child(name, [*serve, name, "--port", str(port)], logs / f"{name}.log")
            child.url = f"http://127.0.0.1:{port}"
            self.children[name] = child
            child.spawn(env)
        self._wait_ready(timeout_s)
        table = {name: SUBSCRIPTIONS[name] for name in self.functions}
        urls = {name: str(self.children[name].url) for name in self.functions}
        subscriptions = write_subscriptions(self.directory / "subscriptions.yaml", table, urls)
        RedisBus.from_url(self.redis_url, self.settings.fabric).ensure_groups(
            (stream_of(t), name) for name, types in table.items() for t in types
        )
        argv = [
            sys.executable,
            "-m",
            "alphamoe.cli",
            "bridge",
            "--subscriptions",
            str(subscriptions),
            "--consumer",
            BRIDGE_CONSUMER,
        ]
        self.children["bridge"] = Child("bridge", argv, logs / "bridge.log")
        self.children["bridge"].spawn(env)
        if self.settings.alerts.enabled():  # `alphamoe alerts run`: its own process, restarted like the others
            probes = [f"--function={name}={self.children[name].url}" for name in self.functions]
            argv = [sys.executable, "-m", "alphamoe.cli", "alerts", "run", "--dir", str(self.directory), *probes]
            self.children["alerts"] = Child("alerts", argv, logs / "alerts.log")
            self.children["alerts"].spawn(env)
        if self.schedule:
            self.start_schedule()
        self._watcher = threading.Thread(target=self._watch, args=(env,), name="cluster-watch", daemon=True)
        self._watcher.start()
        self.write_state(ready=True)
        return self

    def start_schedule(self) -> ScheduleKeeper:
        """Start the clock thread on this cluster's Redis; it catches up on a tick missed while it was down."""
        settings = self.settings.model_copy(
            update={"redis_url": self.redis_url, "event_key": SecretStr(self.keys.event_key)}
        )
        from alphamoe.clock.wiring import cluster_clock

        if settings.clock.accelerated and self.pace is None:
            self.pace = accelerated_time(settings.clock, settle=self._settle, ready=self.fabric_up)
        pace = self.pace

        def default(s: Settings) -> Clock:
            if pace is None:
                return cluster_clock(s, source=self.vendor)
            return cluster_clock(s, now=pace.now, source=self.vendor, sleep=pace.sleep)

        factory: Callable[[Settings], Clock] = self.clock_factory or default
        keeper = ScheduleKeeper(lambda: factory(settings), on_change=lambda: self.write_state(ready=True))
        if pace is not None:  # simulated time: paced sleeps, the fabric settled after each tick
            keeper.sleep = lambda seconds: pace.sleep(seconds, keeper.wait)
            keeper.after_tick = pace.settle_due
        self.keeper = keeper
        return keeper.start()

    def fabric_up(self) -> bool:
        """Whether Redis and every function are up: none died, none restarted but not yet ready."""
        redis_down = self.redis is not None and not self.redis.alive
        dead = any(c.process is not None and c.process.poll() is not None for c in self.children.values())
        return not (redis_down or dead or self._starting)

    def _settle(self) -> None:
        # an accelerated clock's time holds until the fabric has finished what the last tick started
        wait_quiet(RedisBus.from_url(self.redis_url, self.settings.fabric).client, timeout_s=600)

    def down(self) -> None:
        """Stop the clock and the bridge first (nothing half-delivered is acked), then the functions, Redis."""
        self._stopping.set()
        if self.keeper is not None:
            self.keeper.stop()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        order = ["bridge", *[n for n in self.children if n != "bridge"]]
        for name in order:
            child = self.children.get(name)
            if child and child.process and child.process.poll() is None:
                child.process.terminate()
        for child in self.children.values():
            if child.process is not None:
                try:
                    child.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait(timeout=5)
        if self.redis is not None:
            self.redis.stop()
        self.write_state(ready=False)

    @cached_property
    def keys(self) -> ClusterKeys:
        """The approval secret and event key every child gets: the settings', else the cluster folder's."""
        return ClusterKeys.ensure(self.directory, self.settings)

    def _child_env(self) -> dict[str, str]:
        keys = self.keys
        return {
            **os.environ,
            **self.env,
            "ALPHAMOE_DATA": str(self.settings.data),
            "ALPHAMOE_RUNS": str(self.settings.runs_dir),
            "ALPHAMOE_REDIS_URL": self.redis_url,
            "ALPHAMOE_APPROVAL_SECRET": keys.approval_secret,
            "ALPHAMOE_EVENT_KEY": keys.event_key,
        }

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for child in self.children.values():
            while not ready(child.url):
                if child.process is not None and child.process.poll() is not None:
                    tail = child.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
                    self.down()
                    raise ConfigurationError(f"function {child.name} exited at start:\n{tail}")
                if time.monotonic() > deadline:
                    self.down()
                    raise ConfigurationError(f"function {child.name} not ready within {timeout_s:g} s")
                time.sleep(0.1)

    def _watch(self, env: Mapping[str, str]) -> None:
        while not self._stopping.wait(0.1):
            self._keep_redis()
            for child in list(self.children.values()):
                if child.process is not None and child.process.poll() is not None and not self._stopping.is_set():
                    log.warning(
                        "%s (pid %s) exited with %s: restarting", child.name, child.pid, child.process.returncode
                    )
                    child.restarts += 1
                    child.spawn(env)
                    self._starting.add(child.name)
                    self.write_state(ready=True)
            for name in list(self._starting):
                if ready(self.children[name].url):
                    self._starting.discard(name)
            if self.keeper is not None and self.keeper.check():
                self.write_state(ready=True)

    def _keep_redis(self) -> None:
        """Restart the cluster's Redis if it died: same port, directory and passwords, so the AOF is replayed."""
        if self.redis is None or self._stopping.is_set() or time.monotonic() < self._redis_retry_at:
            return
        try:
            revived = self.redis.revive()
        except ConfigurationError as exc:  # e.g. the port taken meanwhile: tried again a second later
            log.error("redis-server on port %d died and did not restart: %s", self.redis.port, redact(str(exc)))
            self._redis_retry_at = time.monotonic() + 1.0
            return
        if revived:
            self.redis_restarts += 1
            log.warning("redis-server on port %d died: restarted (restart %d)", self.redis.port, self.redis_restarts)
            self.write_state(ready=True)

    def write_state(self, *, ready: bool) -> None:
        state = {
            "ready": ready,
            "supervisor_pid": os.getpid(),
            "redis_url": redact(self.redis_url),
            "redis_pid": self.redis.process.pid if self.redis and self.redis.process else None,
            "redis_restarts": self.redis_restarts,
            "data": str(self.settings.data),
            "runs": str(self.settings.runs_dir),
            "children": {
                c.name: {"url": c.url, "pid": c.pid, "restarts": c.restarts, "log": str(c.log_path)}
                for c in self.children.values()
            },
            "schedule": self.keeper.state() if self.keeper is not None else None,
        }
        with self._state_lock:
            write_private(self.state_path, json.dumps(state, indent=2))


def ready(url: str | None) -> bool:
    """True if the function at `url` answers its readiness probe with 200 (no URL: a process without HTTP)."""
    if url is None:
        return True
    try:
        return httpx.get(f"{url}/health/readiness", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
