"""The local cluster's keys: generated once, kept 0600, strong enough for `require_key`; settings win."""

from __future__ import annotations

import os
from pathlib import Path

from alphamoe.cluster.keys import (
    APPROVAL_FILE,
    EVENT_KEY_FILE,
    REDIS_URL_FILE,
    ClusterKeys,
    read_access,
    redis_passwords,
    write_access,
)
from alphamoe.security.keys import require_key
from alphamoe.settings import Settings


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def test_ensure_when_first_start_then_keys_generated_0600_and_kept(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path)
    first = ClusterKeys.ensure(tmp_path, settings)
    assert require_key(first.event_key, "ALPHAMOE_EVENT_KEY")
    assert require_key(first.approval_secret, "ALPHAMOE_APPROVAL_SECRET")
    assert first.event_key != first.approval_secret
    assert ClusterKeys.ensure(tmp_path, settings) == first  # a restarted cluster keeps its keys
    assert {_mode(tmp_path / APPROVAL_FILE), _mode(tmp_path / EVENT_KEY_FILE)} == {0o600}
    assert first.event_key not in repr(first) and first.approval_secret not in repr(first)


def test_ensure_when_settings_name_the_keys_then_used_and_nothing_written(tmp_path: Path) -> None:
    approval, event = "a" * 31 + "b" * 33, "c" * 31 + "d" * 33
    keys = ClusterKeys.ensure(tmp_path, Settings(data=tmp_path, approval_secret=approval, event_key=event))
    assert (keys.approval_secret, keys.event_key) == (approval, event)
    assert list(tmp_path.iterdir()) == []


def test_ensure_when_old_secret_file_is_0644_then_made_0600(tmp_path: Path) -> None:
    (tmp_path / APPROVAL_FILE).write_text("e" * 64, encoding="utf-8")
    (tmp_path / APPROVAL_FILE).chmod(0o644)
    assert ClusterKeys.ensure(tmp_path, Settings(data=tmp_path)).approval_secret == "e" * 64
    assert _mode(tmp_path / APPROVAL_FILE) == 0o600


def test_redis_passwords_when_asked_twice_then_same_and_0600(tmp_path: Path) -> None:
    first = redis_passwords(tmp_path)
    assert first == redis_passwords(tmp_path) and first.admin != first.functions
    assert {_mode(p) for p in tmp_path.iterdir()} == {0o600}


def test_access_when_written_then_the_cli_reads_url_and_event_key(tmp_path: Path) -> None:
    keys = ClusterKeys.ensure(tmp_path, Settings(data=tmp_path))
    write_access(tmp_path, "redis://functions:pw@127.0.0.1:1/0")
    assert _mode(tmp_path / REDIS_URL_FILE) == 0o600
    assert read_access(tmp_path) == {"redis_url": "redis://functions:pw@127.0.0.1:1/0", "event_key": keys.event_key}
