"""Time the `alphamoe` command's start-up, cold (a new process each run), beside the floors it cannot beat.

Issue 18: every command took ~3 s to start (`--help` 5 s under load) because the CLI imported LangGraph,
pandas/pyarrow and every command's dependencies. Target: ≤ 0.3 s for `--help`, `status --help`, `risk`,
`explain --help` and `report --help` — the class of `kn version` or `freqtrade --help`, which answer at once.

Measured in the same run, in the same way:

- `python -c pass`        the interpreter's own start: nothing can start faster;
- `bare typer --help`     a two-command typer app: what the CLI framework costs alone, with typer's default
                          rich help (typer.rich_utils: rich, rich.markdown, markdown_it) and with click's plain
                          help (`rich_markup_mode=None`, what alphamoe uses);
- `bare typer one --help` its sub-command's help: typer 0.29 also imports pydantic to coerce the absent
                          `--help` flag of the group (alphamoe's group avoids it: cli/lazy.py);
- each command            `python -m alphamoe.cli …` (the console script runs the same `main`);
- `alphamoe risk status`  not in the target list: a verb that does its work (settings, then Redis; here with no
                          Redis configured, so it stops at the error), to show what start-up costs beyond help.

Both wall time (median and best of `--repeat` runs) and CPU time (user + sys of the child, median) are
reported: on a shared machine wall time mostly measures the other tenants, CPU time what start-up does, so the
verdict is on CPU. Each line also counts the modules the run imports (`python -X importtime`).
Uses hyperfine when it is installed (`--hyperfine`), else a loop of subprocess runs. Written to
benchmarks/results/cli.json.

    python benchmarks/bench_cli.py [--repeat 15] [--hyperfine] [--before TREE]

`--before TREE` times `alphamoe --help` from another tree too (`git archive HEAD shared | tar -x -C TREE`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from alphamoe.cli.common import console

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
BARE_TYPER = """
import sys
import typer
markup = "rich" if sys.argv.pop(1) == "rich" else None
app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=markup)
@app.command()
def one(x: int = 1) -> None:
    "One."
@app.command()
def two(x: int = 1) -> None:
    "Two."
app()
"""
COMMANDS = [["--help"], ["status", "--help"], ["risk"], ["explain", "--help"], ["report", "--help"]]
BEYOND = [["risk", "status"]]
"""Timed too, judged against no target."""


def cases(bare: Path) -> dict[str, list[str]]:
    """Return the command lines to time, floors first."""
    py = sys.executable
    out = {
        "python -c pass": [py, "-c", "pass"],
        "bare typer --help (rich help)": [py, str(bare), "rich", "--help"],
        "bare typer one --help (rich help)": [py, str(bare), "rich", "one", "--help"],
        "bare typer --help (plain help)": [py, str(bare), "plain", "--help"],
        "bare typer one --help (plain help)": [py, str(bare), "plain", "one", "--help"],
    }
    for argv in COMMANDS + BEYOND:
        out["alphamoe " + " ".join(argv)] = [py, "-m", "alphamoe.cli", *argv]
    return out


def module_count(argv: list[str], env: dict[str, str] | None = None) -> int:
    """Return how many modules one run of `argv` (a python command line) imports, from `-X importtime`."""
    traced = [argv[0], "-X", "importtime", *argv[1:]]
    done = subprocess.run(traced, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, env=env)
    return sum(1 for line in done.stderr.splitlines() if line.startswith("import time:")) - 1  # less the header


def time_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Return (wall s, cpu s) of one run of `argv` (its output discarded; a non-zero exit is fine: `risk`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(argv: list[str], repeat: int, env: dict[str, str] | None = None) -> dict[str, float]:
    time_once(argv, env)  # the first run fills the page cache and writes .pyc: "cold" is a new process, not a new disk
    walls, cpus = zip(*(time_once(argv, env) for _ in range(repeat)), strict=True)
    return {
        "wall_median_s": statistics.median(walls),
        "wall_best_s": min(walls),
        "cpu_median_s": statistics.median(cpus),
    }


def measure_hyperfine(argv: list[str], repeat: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = " ".join(f"'{a}'" for a in argv)
        subprocess.run(
            ["hyperfine", "--warmup", "1", "--runs", str(repeat), "-i", "--export-json", out.name, "-N", command],
            stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip
        result = json.loads(Path(out.name).read_text())["results"][0]
    return {
        "wall_median_s": result["median"],
        "wall_best_s": result["min"],
        "cpu_median_s": result["user"] + result["system"],  # hyperfine reports means
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="runs per command line")
    parser.add_argument("--hyperfine", action="store_true", help="time with hyperfine (must be installed)")
    parser.add_argument(
        "--before",
        type=Path,
        help="also time `alphamoe --help` from this tree's `shared/` (e.g. a `git archive` of HEAD)",
    )
    args = parser.parse_args()
    if args.hyperfine and shutil.which("hyperfine") is None:
        parser.error("hyperfine is not installed (apt-get install hyperfine)")
    timer = measure_hyperfine if args.hyperfine else measure
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_typer.py"
        bare.write_text(BARE_TYPER, encoding="utf-8")
        for name, argv in cases(bare).items():
            results[name] = {**timer(argv, args.repeat), "modules": module_count(argv)}
    if args.before is not None:  # the same command line, the package of another tree first on the path
        env = {**os.environ, "PYTHONPATH": str(args.before.resolve() / "shared")}
        argv = cases(Path())["alphamoe --help"]
        results[f"before: alphamoe --help ({args.before})"] = {
            **measure(argv, args.repeat, env),
            "modules": module_count(argv, env),
        }
    table = Table(title=f"alphamoe start-up, {args.repeat} cold runs each (target ≤ {TARGET_S} s)")
    for column in ("command", "wall median s", "wall best s", "cpu median s", "modules", "cpu ≤ target"):
        table.add_column(column, justify="left" if column == "command" else "right", no_wrap=True)
    for name, r in results.items():
        judged = name.startswith("alphamoe") and name.removeprefix("alphamoe ").split() in COMMANDS
        verdict = ("yes" if r["cpu_median_s"] <= TARGET_S else "NO") if judged else ""
        row = [f"{r['wall_median_s']:.3f}", f"{r['wall_best_s']:.3f}", f"{r['cpu_median_s']:.3f}", str(r["modules"])]
        table.add_row(name, *row, verdict)
    console.print(table)
    out = REPO / "benchmarks" / "results" / "cli.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "target_s": TARGET_S,
        "repeat": args.repeat,
        "timer": "hyperfine" if args.hyperfine else "subprocess",
        "load_average": os.getloadavg(),
        "python": sys.version.split()[0],
        "results": results,
    }
    out.write_text(json.dumps(document, indent=2), encoding="utf-8")
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
