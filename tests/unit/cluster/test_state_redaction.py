"""What the supervisor writes and `cluster status` shows never holds a password; the CLI still finds it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.cli.fabric_commands import fabric_settings
from alphamoe.cluster.keys import write_access
from alphamoe.cluster.supervisor import LocalCluster
from alphamoe.kv.server import free_port
from alphamoe.settings import Settings

PASSWORD = "0123456789abcdef0123456789abcdef-redis-password"


def _written(tmp_path: Path) -> tuple[LocalCluster, str]:
    url = f"redis://functions:{PASSWORD}@127.0.0.1:{free_port()}/0"  # nobody listens: status says so
    cluster = LocalCluster(tmp_path / "cluster", Settings(data=tmp_path, runs=tmp_path / "runs", redis_url=url))
    cluster.redis_url = url
    write_access(cluster.directory, url)
    cluster.write_state(ready=True)
    return cluster, url


def test_state_when_written_then_0600_and_url_masked(tmp_path: Path) -> None:
    cluster, _ = _written(tmp_path)
    text = cluster.state_path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    assert json.loads(text)["redis_url"].startswith("redis://functions:***@127.0.0.1:")
    assert os.stat(cluster.state_path).st_mode & 0o777 == 0o600


def test_cluster_status_when_shown_then_no_password_in_table_or_json(tmp_path: Path) -> None:
    cluster, _ = _written(tmp_path)
    for args in (["cluster", "status"], ["cluster", "status", "--json"]):
        result = CliRunner().invoke(app, [*args, "--dir", str(cluster.directory)])
        assert result.exit_code == 1  # Redis does not answer: not ready
        assert PASSWORD not in result.output and "functions:***@127.0.0.1" in result.output


def test_fabric_settings_when_cluster_state_masked_then_url_with_password_from_the_private_file(
    tmp_path: Path,
) -> None:
    cluster, url = _written(tmp_path)
    assert fabric_settings(directory=cluster.directory).redis_url == url
