"""Run `alphamoe` in a new interpreter and see what it imported: start-up cost is what a verb imports.

Issue 18: every verb took seconds to start because the CLI imported LangGraph, pandas and every setting's
section. The time itself is measured by benchmarks/bench_cli.py; tests check the imports, which do not depend
on how busy the machine is.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from alphamoe.cli.app import app
try:
    app(sys.argv[1:], prog_name="alphamoe")
except SystemExit:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
    raise
"""


def imported(argv: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `alphamoe argv` in a new interpreter; return the run (its exit code, its output) and every module it had
    imported at the end (the last line on stderr)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120, env=env)
    return done, set(json.loads(done.stderr.strip().splitlines()[-1]))
