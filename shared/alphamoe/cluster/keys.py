"""The local cluster's secrets: generated once, kept 0600 in its folder, handed to children through env only.

`cluster up` needs an approval secret (risk signs, execute verifies), an event key (the bridge and the
clock sign hops and run tokens, the functions verify) and, for the Redis it starts, one password per ACL
user. A secret the settings already name (ALPHAMOE_APPROVAL_SECRET, ALPHAMOE_EVENT_KEY) is used as is;
the others are generated the first time and read back afterwards, so a restarted cluster keeps its keys.

The CLI, run by the same user in another process, finds the cluster's Redis through `redis.url` (0600):
the URL with the `functions` user's password, which `state.json` and every output show masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alphamoe.kv.server import RedisPasswords, new_password
from alphamoe.security.files import private_secret, write_private
from alphamoe.security.keys import generate_key

if TYPE_CHECKING:  # annotations only: reading a cluster's access builds no settings
    from alphamoe.settings import Settings

APPROVAL_FILE = "approval.secret"
EVENT_KEY_FILE = "event.key"
REDIS_ADMIN_FILE = "redis-admin.password"
REDIS_FUNCTIONS_FILE = "redis-functions.password"
REDIS_URL_FILE = "redis.url"


@dataclass(frozen=True)
class ClusterKeys:
    """The keys every child of the local cluster gets in its environment."""

    approval_secret: str = field(repr=False)
    event_key: str = field(repr=False)

    @classmethod
    def ensure(cls, directory: Path, settings: Settings) -> ClusterKeys:
        """Return the settings' keys, else the ones kept in `directory` (generated there the first time)."""
        approval = settings.approval_secret
        event = settings.event_key
        return cls(
            approval_secret=approval.get_secret_value()
            if approval
            else private_secret(directory / APPROVAL_FILE, generate_key),
            event_key=event.get_secret_value() if event else private_secret(directory / EVENT_KEY_FILE, generate_key),
        )


def redis_passwords(directory: Path) -> RedisPasswords:
    """The passwords of the Redis the cluster starts: the same across restarts of the cluster and of Redis."""
    return RedisPasswords(
        admin=private_secret(directory / REDIS_ADMIN_FILE, new_password),
        functions=private_secret(directory / REDIS_FUNCTIONS_FILE, new_password),
    )


def write_access(directory: Path, redis_url: str) -> None:
    """Keep the URL (with its password) the CLI uses to reach the cluster's Redis, readable by its owner only."""
    write_private(directory / REDIS_URL_FILE, redis_url)


def read_access(directory: Path) -> dict[str, str]:
    """Return the settings a CLI command needs to talk to the cluster (`redis_url`, `event_key`) that it kept."""
    found: dict[str, str] = {}
    for setting, name in (("redis_url", REDIS_URL_FILE), ("event_key", EVENT_KEY_FILE)):
        path = directory / name
        if path.exists():
            found[setting] = path.read_text(encoding="utf-8").strip()
    return found
