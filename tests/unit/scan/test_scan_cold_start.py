"""The scan function's deploy form keeps its numba cache: the image build compiles the kernels once into
NUMBA_CACHE_DIR, and a fresh process with that folder loads them (numba's own hit/miss counters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alphamoe.market.bars import BarStore

REPO = Path(__file__).resolve().parents[3]
FUNCTION = REPO / "functions" / "scan"
ASSEMBLE = FUNCTION / ".s2i" / "bin" / "assemble"

COLD_SCAN = """
import json, sys
from datetime import date
from pathlib import Path
from alphamoe.scan.load import load_scan_inputs
from alphamoe.scan.scanner import scan_day
from alphamoe.scan.warm import report
from alphamoe.strategy.registry import strategy_by_name
inputs = load_scan_inputs(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]), 250)
result = scan_day(inputs.panel, inputs.day, inputs.reference, strategy_by_name("trend_breakout"))
heavy = sorted(m for m in ("vectorbt", "scipy.stats", "plotly") if m in sys.modules)
print(json.dumps({"kernels": report(), "signals": len(result.signals), "heavy": heavy}))
"""


def _envs(section: list[dict[str, str]]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in section}


def test_func_yaml_when_read_then_build_and_run_share_the_numba_cache_settings() -> None:
    doc = yaml.safe_load((FUNCTION / "func.yaml").read_text())
    build, run = _envs(doc["build"]["buildEnvs"]), _envs(doc["run"]["envs"])

    assert doc["build"]["builder"] == "s2i"  # s2i runs .s2i/bin/assemble from the source
    assert build["NUMBA_CACHE_DIR"] == run["NUMBA_CACHE_DIR"]
    assert build["NUMBA_CACHE_DIR"].startswith("/opt/app-root/src/")  # inside the image, not a volume
    assert build["NUMBA_CPU_NAME"] == run["NUMBA_CPU_NAME"] == "generic"  # cache keys match on any node
    assert os.access(ASSEMBLE, os.X_OK)


def test_scan_modules_when_imported_then_vectorbt_scipy_stats_and_plotly_stay_unloaded() -> None:
    code = (
        "import sys\n"
        "import alphamoe.scan.load, alphamoe.scan.scanner, alphamoe.strategy.registry, alphamoe.strategy.kernels\n"
        "import alphamoe.pipeline.stages.scan, alphamoe.strategy.stats\n"
        "print(sorted(m for m in ('vectorbt', 'scipy.stats', 'plotly') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.integration
@pytest.mark.slow
def test_scan_image_build_when_cache_warmed_then_a_fresh_process_compiles_nothing(
    market_dir: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache"),
        "NUMBA_CPU_NAME": "generic",
        "S2I_BASE_ASSEMBLE": "true",  # the builder image's own assemble is not here
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    built = subprocess.run([str(ASSEMBLE)], env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    first, check = (json.loads(line) for line in built.stdout.strip().splitlines()[-2:])
    assert all(c["misses"] == 1 for c in first["kernels"].values())  # the build compiled each kernel …
    assert all(c == {"hits": 1, "misses": 0} for c in check["kernels"].values())  # … and reuses it

    day = BarStore(market_dir).sessions()[-1].isoformat()
    cold = subprocess.run(
        [sys.executable, "-c", COLD_SCAN, str(market_dir), day], env=env, capture_output=True, text=True, timeout=300
    )

    assert cold.returncode == 0, cold.stderr
    out = json.loads(cold.stdout.strip().splitlines()[-1])
    assert out["signals"] > 0
    assert out["heavy"] == []  # the live scan never imports VectorBT (≈3 s), scipy.stats or plotly
    used = ("adjustment_factor_kernel", "trend_breakout_kernel", "simulate_trades_kernel")
    assert all(out["kernels"][k] == {"hits": 1, "misses": 0} for k in used), out["kernels"]
