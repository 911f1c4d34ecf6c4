"""`alphamoe --help` and the everyday verbs start without the heavy stacks: imports live where they are used.

Issue 18: every command took ~3 s to start because the CLI imported LangGraph and every command's dependencies;
then, with those lazy, typer still built all ~25 commands (importing every command module), rendered help with
rich (rich.markdown, markdown_it) and built pydantic adapters for an absent `--help` flag. The start-up time
itself is measured by benchmarks/bench_cli.py; here, what start-up imports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.cli_probe import imported
from typer.main import get_group
from typer.testing import CliRunner

from alphamoe.cli.app import COMMANDS, app
from alphamoe.cli.lazy import LazyCommand, summary

HEAVY = ("langgraph", "langchain_core", "pandas", "pyarrow", "numba", "numpy", "openai", "redis", "boto3", "httpx")
"""Libraries no help screen needs."""
STARTUP_HEAVY = ("pydantic", "pydantic_settings", "typer.rich_utils", "rich.markdown", "markdown_it")
"""What typer and the settings would load on every start: pydantic ~0.1 s, typer's rich help ~0.1 s CPU."""
TARGETS = [["--help"], ["status", "--help"], ["risk"], ["explain", "--help"], ["report", "--help"]]
"""Issue 18's start-up list (≤ 0.3 s): the help screens and `risk` (a group: its help)."""


def _command_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("alphamoe.cli.") and m.endswith("_commands")}


@pytest.mark.parametrize("argv", [*TARGETS, ["run", "--help"]], ids=" ".join)
def test_cli_when_help_or_group_shown_then_no_heavy_library_imported(argv: list[str]) -> None:
    done, modules = imported(argv)
    assert "Usage" in done.stdout, done.stderr
    assert [m for m in HEAVY if m in modules] == [], f"`alphamoe {' '.join(argv)}` imported heavy libraries"


@pytest.mark.parametrize("argv", TARGETS, ids=" ".join)
def test_cli_when_started_for_the_issue_list_then_no_pydantic_and_no_rich_help(argv: list[str]) -> None:
    done, modules = imported(argv)
    assert "Usage" in done.stdout, done.stderr
    assert sorted(m for m in STARTUP_HEAVY if m in modules) == []


def test_help_when_listing_every_verb_then_no_command_module_is_imported() -> None:
    done, modules = imported(["--help"])
    assert done.returncode == 0, done.stderr
    assert all(f"  {entry.name} " in done.stdout for entry in COMMANDS)
    assert _command_modules(modules) == set()
    assert not any(m == "rich" or m.startswith("rich.") for m in modules)  # plain click help: not even rich


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status", "--help"], {"fabric_commands"}),
        (["risk"], {"risk_commands"}),
        (["explain", "--help"], {"route_commands"}),
        (["report", "--help"], {"clock_commands", "fabric_commands"}),  # report reads the cluster's settings
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_verb_when_run_then_only_its_own_command_modules_are_imported(argv: list[str], expected: set[str]) -> None:
    done, modules = imported(argv)
    assert "Usage" in done.stdout, done.stderr
    assert _command_modules(modules) == {f"alphamoe.cli.{name}" for name in expected}


def test_risk_status_when_no_redis_then_the_cluster_supervisor_is_not_imported(tmp_path: Path) -> None:
    # finding the cluster's Redis needs its state file, not what runs the cluster (clock, bus, pipeline: ~0.8 s);
    # with no cluster here, not even the modules that read its files
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPHAMOE_")}
    env["ALPHAMOE_RUNS"] = str(tmp_path)
    done, modules = imported(["risk", "status"], env)
    assert done.returncode == 2
    assert "no Redis is configured" in " ".join(done.stderr.split())
    assert {"alphamoe.cluster.supervisor", "alphamoe.cluster.keys", "alphamoe.cluster.state"}.isdisjoint(modules)


def test_table_when_each_verb_is_built_then_its_listed_line_is_the_commands_own_help() -> None:
    group = get_group(app)
    for entry in COMMANDS:
        built = entry.load(group)  # imports the module, builds the command as typer does
        assert built.name == entry.name
        assert summary(built) == " ".join(entry.summary.split()), entry.name
    assert len({entry.name for entry in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_verb_when_asked_for_help_through_the_runner_then_its_own_options_show(entry: LazyCommand) -> None:
    name = entry.name
    shown = CliRunner().invoke(app, [name, "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert f"alphamoe {name}" in shown.output or f"{name} [OPTIONS]" in shown.output
    assert "--help" in shown.output


def test_group_when_called_without_a_verb_then_help_on_stdout_and_exit_2() -> None:
    # as typer's rich help did: the list on stdout (click alone prints it on stderr)
    for argv, verb in (([], "explain"), (["risk"], "halt")):
        done, _ = imported(argv)
        assert done.returncode == 2
        assert "Usage: alphamoe" in done.stdout, done.stderr
        assert f" {verb} " in done.stdout


def test_typo_when_a_verb_is_misspelt_then_the_full_table_suggests_it() -> None:
    shown = CliRunner().invoke(app, ["walk-forwrd"])
    assert shown.exit_code == 2
    assert "Did you mean 'walk-forward'" in shown.output
