"""pip-audit over the dev lock (a superset of the image's and the demo's, same pins): `make audit`.

A known vulnerability fails. A vulnerability database that cannot be reached (this machine, a CI without
internet) is not a pass: the audit says, in one line, that it was skipped and why, and exits 0. pip-audit
itself reports an unreachable PyPI JSON API as "Dependency not found on PyPI" for every package and then
"No known vulnerabilities found", so a run that audited nothing is read as unreachable, not as clean.
Each service is tried in turn (PyPI's JSON API, then OSV); the first that audits something decides.
PIP_AUDIT names another pip-audit executable (the tests use a stand-in).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements" / "dev.txt"
SERVICES = ("pypi", "osv")
TIMEOUT_S = 600


def _run(service: str) -> tuple[int, dict[str, object] | None, str]:
    """Run pip-audit against the lock without installing anything; return (exit code, JSON report, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [
            os.environ.get("PIP_AUDIT", str(Path(sys.executable).with_name("pip-audit"))),
            "--requirement", str(LOCK), "--require-hashes", "--disable-pip",
            "--vulnerability-service", service, "--progress-spinner", "off",
            "--format", "json", "--output", str(report),
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return 1, None, f"no answer within {TIMEOUT_S} s"
        parsed = json.loads(report.read_text()) if report.is_file() and report.stat().st_size else None
        return done.returncode, parsed, done.stderr.strip()


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def main() -> int:
    reasons = []
    for service in SERVICES:
        code, report, stderr = _run(service)
        dependencies = report.get("dependencies", []) if isinstance(report, dict) else []
        assert isinstance(dependencies, list)
        audited = [d for d in dependencies if "skip_reason" not in d]
        if not audited:
            reasons.append(f"{service}: " + ("no package could be looked up" if report else _last_line(stderr)))
            continue
        findings = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
        for name, version, vuln in findings:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"pip-audit: {name} {version}: {vuln['id']} (fixed in: {fixed})")
        skipped = len(dependencies) - len(audited)
        print(
            f"pip-audit ({service}): {len(audited)} packages audited, {skipped} not found, "
            f"{len(findings)} known vulnerabilities"
        )
        if findings:
            return 1
        if code != 0:
            print(f"pip-audit ({service}) failed: {_last_line(stderr)}")
            return 1
        return 0
    print(f"pip-audit: SKIPPED, no vulnerability database reachable ({'; '.join(reasons)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
