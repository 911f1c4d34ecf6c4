"""`--data s3://bucket/prefix` reaches the settings whole, on every command: the option is text, not a `Path`
(a `Path` folds `s3://bucket` into `s3:/bucket`)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app

LOCATED = [
    ("run", "--data"), ("demo", "--data"), ("scan", "--data"), ("explain", "--data"), ("backtest", "--data"),
    ("status", "--data"), ("report", "--data"), ("gateway", "--data"), ("console", "--data"), ("export", "--data"),
    ("cluster up", "--data"), ("trigger day", "--data"), ("schedule fire", "--data"), ("alerts run", "--data"),
    ("data check", "--data"), ("data update", "--data"), ("data generate", "--out"), ("data import", "--out"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "option"), LOCATED, ids=[f"{c} {o}" for c, o in LOCATED])
def test_cli_when_command_takes_a_data_location_then_as_text_never_a_path(command: str, option: str) -> None:
    shown = CliRunner().invoke(app, [*command.split(), "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    kind = re.search(rf"{option}\s+<?([A-Za-z]+)", shown.output)  # typer shows `<str>` / `<path>` (or TEXT / PATH)
    assert kind is not None and kind.group(1).lower() in ("str", "text"), f"{command} {option}: {kind and kind[1]}"


def test_scan_when_data_is_s3_then_the_url_is_named_whole() -> None:
    done = CliRunner().invoke(app, ["scan", "--date", "2025-01-02", "--data", "s3://my-bucket/some/prefix"])
    assert done.exit_code == 2
    assert "not s3://my-bucket/some/prefix" in " ".join(done.output.split())
