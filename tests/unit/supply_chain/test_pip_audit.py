""".ci/audit.py (`make audit`): a finding fails; an unreachable vulnerability database skips, saying so.

pip-audit is replaced by a stand-in (PIP_AUDIT) that answers per vulnerability service as told, in
pip-audit's JSON report format: the outcomes of a real run here (PyPI's JSON API unreachable, OSV's host
unknown) and of a run that can reach a database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.paths import REPO

STAND_IN = """
import json, os, sys
args = sys.argv[1:]
service = args[args.index("--vulnerability-service") + 1]
answer = json.loads(os.environ["STAND_IN_ANSWERS"])[service]
if "report" in answer:
    with open(args[args.index("--output") + 1], "w") as out:
        json.dump(answer["report"], out)
sys.stderr.write(answer.get("stderr", ""))
sys.exit(answer["code"])
"""
UNREACHABLE_PYPI = {
    "code": 0,
    "report": {
        "dependencies": [
            {"name": "pip", "version": "26.3", "skip_reason": "Dependency not found on PyPI and could not be audited"},
            {"name": "redis", "version": "7.0", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        ],
        "fixes": [],
    },
}
UNREACHABLE_OSV = {
    "code": 1,
    "stderr": "requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'\n",
}
CLEAN = {
    "code": 0,
    "report": {"dependencies": [{"name": "redis", "version": "7.0", "vulns": []}], "fixes": []},
}
FINDING = {
    "code": 1,
    "report": {
        "dependencies": [
            {"name": "redis", "version": "7.0", "vulns": []},
            {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
        ],
        "fixes": [],
    },
}


def _audit(tmp_path: Path, answers: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    stand_in = tmp_path / "pip-audit"
    stand_in.write_text(f"#!{sys.executable}\n{STAND_IN}")
    stand_in.chmod(0o755)
    env = {"PIP_AUDIT": str(stand_in), "STAND_IN_ANSWERS": json.dumps(answers), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, str(REPO / ".ci" / "audit.py")], env=env, capture_output=True, text=True, timeout=60
    )


def test_audit_when_no_database_is_reachable_then_one_line_says_skipped_and_why(tmp_path: Path) -> None:
    done = _audit(tmp_path, {"pypi": UNREACHABLE_PYPI, "osv": UNREACHABLE_OSV})
    assert done.returncode == 0
    [line] = done.stdout.splitlines()
    assert line.startswith("pip-audit: SKIPPED, no vulnerability database reachable")
    assert "pypi: no package could be looked up" in line and "api.osv.dev" in line


def test_audit_when_a_vulnerability_is_known_then_fails_naming_it(tmp_path: Path) -> None:
    done = _audit(tmp_path, {"pypi": FINDING, "osv": UNREACHABLE_OSV})
    assert done.returncode == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in: 3.1.3)" in done.stdout


def test_audit_when_pypi_is_unreachable_then_osv_decides(tmp_path: Path) -> None:
    done = _audit(tmp_path, {"pypi": UNREACHABLE_PYPI, "osv": FINDING})
    assert done.returncode == 1 and "pip-audit (osv)" in done.stdout


@pytest.mark.parametrize("service", ["pypi", "osv"])
def test_audit_when_reachable_and_clean_then_passes_with_a_count(tmp_path: Path, service: str) -> None:
    answers = {"pypi": UNREACHABLE_PYPI, "osv": UNREACHABLE_OSV, service: CLEAN}
    done = _audit(tmp_path, answers)
    assert done.returncode == 0
    assert f"pip-audit ({service}): 1 packages audited, 0 not found, 0 known vulnerabilities" in done.stdout


def test_make_when_testing_then_the_audit_runs(tmp_path: Path) -> None:
    # `make test` (CI's entry point) runs the audit; a lint or typecheck pass alone does not skip it.
    dry = subprocess.run(
        ["make", "-n", "-C", str(REPO), "test", f"VENV={tmp_path}/venv"], capture_output=True, text=True, check=True
    )
    assert ".ci/audit.py" in dry.stdout
