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
- `alphamoe risk status`  a verb that does its work (settings, then Redis; here with no Redis configured, so it
                          stops at the error), to show what start-up costs beyond help.

The verbs doing their work (`WORK`: `status`, `risk status`, `report --date D`, `explain RUN SYMBOL`) are timed
on a recorded day (`support.recorded_day`: a synthetic market's last session run in process, its reports and
decision record on disk, its events and the kill switch on a real redis-server started here). For each run,
"start" is the time from the process's start to the verb's first touch of its work (its first connection to
that Redis or its first open of a file of the day, seen by an audit hook), "total" the whole run; with
`--before TREE`, that tree's runs alternate with this one's, so both meet the same load.

Both wall time (median and best of `--repeat` runs) and CPU time (user + sys of the child, median) are
reported: on a shared machine wall time mostly measures the other tenants, CPU time what start-up does, so the
verdict is on CPU. Each line also counts the modules the run imports (`python -X importtime`).
Uses hyperfine when it is installed (`--hyperfine`), else a loop of subprocess runs. Written to
benchmarks/results/cli.json.

    python benchmarks/bench_cli.py [--repeat 15] [--hyperfine] [--before TREE] [--work-only] [--symbols 600]

`--before TREE` times `alphamoe --help` and the verbs' work from another tree too
(`git archive HEAD shared | tar -x -C TREE`).
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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.recorded_day import record_day  # noqa: E402

from alphamoe.cli.common import console  # noqa: E402

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
WORK = ("status", "risk status", "report", "explain")
"""The verbs timed doing their work (`--work`): against a real redis-server and a recorded day."""
FIRST_WORK = """
import os, runpy, sys, time
root, port = sys.argv.pop(1), sys.argv.pop(1)
def first(event, args):
    if event == "socket.connect" and isinstance(args[1], tuple) and str(args[1][1]) == port:
        pass
    elif not (event == "open" and isinstance(args[0], str | bytes) and os.fsdecode(args[0]).startswith(root)):
        return
    os.write(2, f"\\nFIRST-WORK {time.process_time()} {time.time()}\\n".encode())
    hooks.clear()
hooks = [first]
sys.addaudithook(lambda event, args: hooks and hooks[0](event, args))
sys.argv[0] = "alphamoe"
runpy.run_module("alphamoe.cli", run_name="__main__")
"""
"""Runs `alphamoe` and notes, on stderr, the CPU time and the clock when the command first touches its work: a
connection to the benchmark's Redis or a file of its day (an audit hook; nothing else changes)."""


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


@contextmanager
def recorded_day(root: Path, symbols: int) -> Iterator[tuple[dict[str, str], dict[str, list[str]], int]]:
    """Yield (environment, each verb's arguments, Redis port) for a recorded day the verbs can work on:
    a synthetic market of `symbols` stocks and a real redis-server (`support.recorded_day`)."""
    from alphamoe.data.synthetic import write_market
    from alphamoe.kv.server import LocalRedis

    server = LocalRedis(root / "redis").start()
    try:
        market = root / "market"
        write_market(market, symbols=symbols, start=date(2024, 1, 2), end=date(2025, 3, 31), seed=11)
        recorded = record_day(market, root / "runs", server.url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALPHAMOE_")} | recorded.env
        yield env, recorded.verbs(), server.port
    finally:
        server.stop()


def time_work(argv: list[str], env: dict[str, str], root: Path, port: int) -> tuple[float, float, float, float]:
    """Return (wall s, cpu s) to the command's first touch of its work, then (wall s, cpu s) of the whole run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started_at, started = time.time(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", FIRST_WORK, str(root), str(port), *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, env=env,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"alphamoe {' '.join(argv)} failed: {done.stderr[-2000:]}")
    [mark] = [line.split() for line in done.stderr.splitlines() if line.startswith("FIRST-WORK ")]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(mark[2]) - started_at, float(mark[1]), wall, cpu


def measure_work(
    argv: list[str], repeat: int, envs: dict[str, dict[str, str]], root: Path, port: int
) -> dict[str, dict[str, float]]:
    """Time `argv` under each environment (tree), run by run in turn, so that each tree meets the same load."""
    for env in envs.values():
        time_work(argv, env, root, port)  # warm: page cache and .pyc
    runs: dict[str, list[tuple[float, float, float, float]]] = {tree: [] for tree in envs}
    for _ in range(repeat):
        for tree, env in envs.items():
            runs[tree].append(time_work(argv, env, root, port))
    results = {}
    for tree, timed in runs.items():
        columns = list(zip(*timed, strict=True))
        start_wall, start_cpu, wall, cpu = (statistics.median(column) for column in columns)
        results[tree] = {
            "start_wall_s": start_wall,
            "start_cpu_s": start_cpu,
            "start_cpu_best_s": min(columns[1]),  # the least disturbed by the other tenants of the machine
            "wall_median_s": wall,
            "cpu_median_s": cpu,
        }
    return results


def work_table(results: dict[tuple[str, str], dict[str, float]], repeat: int) -> Table:
    table = Table(title=f"alphamoe verbs doing their work, {repeat} cold runs each (start target ≤ {TARGET_S} s)")
    columns = ("tree", "command", "start wall s", "start cpu s", "start cpu best s", "total wall s", "total cpu s")
    for column in (*columns, "cpu ≤ target"):
        table.add_column(column, justify="left" if column in ("tree", "command") else "right", no_wrap=True)
    for (tree, verb), r in results.items():
        verdict = "yes" if r["start_cpu_s"] <= TARGET_S else "NO"
        numbers = (r["start_wall_s"], r["start_cpu_s"], r["start_cpu_best_s"], r["wall_median_s"], r["cpu_median_s"])
        table.add_row(tree, f"alphamoe {verb}", *(f"{n:.3f}" for n in numbers), verdict)
    return table


def time_verbs(repeat: int, symbols: int, before: Path | None) -> dict[tuple[str, str], dict[str, float]]:
    """Time each verb of `WORK` on a recorded day, this tree's and `before`'s, alternating (same machine load)."""
    trees = {"now": None, **({"before": before.resolve() / "shared"} if before is not None else {})}
    results: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, recorded_day(Path(tmp), symbols) as (env, argv, port):
        envs = {tree: env if shared is None else {**env, "PYTHONPATH": str(shared)} for tree, shared in trees.items()}
        for verb in WORK:
            for tree, measured in measure_work(argv[verb], repeat, envs, Path(tmp), port).items():
                results[tree, verb] = measured
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="runs per command line")
    parser.add_argument("--hyperfine", action="store_true", help="time with hyperfine (must be installed)")
    parser.add_argument(
        "--before",
        type=Path,
        help="also time `alphamoe --help` and the verbs' work from this tree's `shared/` (a `git archive` of HEAD)",
    )
    parser.add_argument("--work-only", action="store_true", help="time only the verbs doing their work")
    parser.add_argument("--symbols", type=int, default=600, help="stocks in the recorded day's synthetic market")
    args = parser.parse_args()
    if args.hyperfine and shutil.which("hyperfine") is None:
        parser.error("hyperfine is not installed (apt-get install hyperfine)")
    timer = measure_hyperfine if args.hyperfine else measure
    results: dict[str, Any] = {}
    work = time_verbs(args.repeat, args.symbols, args.before)
    console.print(work_table(work, args.repeat))
    with tempfile.TemporaryDirectory() as tmp:
        if args.work_only:
            return
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
        "work": {f"{tree}: alphamoe {verb}": r for (tree, verb), r in work.items()},
    }
    out.write_text(json.dumps(document, indent=2), encoding="utf-8")
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
