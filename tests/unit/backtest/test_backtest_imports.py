"""A cold backtest process imports only what it runs (issue 15, speed): not the router's LangGraph stack,
the LLM client, VectorBT or Backtrader, which cost seconds of import before the first bar is read."""

from __future__ import annotations

import subprocess
import sys

# pandas: ~0.5 s; pyarrow imports it itself on its first `to_numpy`, but no import of ours waits for it
HEAVY = ("langgraph", "langchain_core", "openai", "vectorbt", "backtrader", "redis", "pandas")


def test_backtest_path_when_imported_in_a_fresh_process_then_no_heavy_package_loads() -> None:
    code = (
        "import sys\n"
        "import alphamoe.backtest.engine, alphamoe.backtest.compiled.engine, alphamoe.backtest.kelly_cache\n"
        "import alphamoe.strategy.registry\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == ""


def test_router_names_when_asked_then_still_importable_from_the_package() -> None:
    from alphamoe.router import RouterConfig, default_router
    from alphamoe.router.config import RouterConfig as Config
    from alphamoe.router.graph import default_router as build

    assert RouterConfig is Config and default_router is build
