"""`alphamoe backtest` with a strategy book (issue 19, item 1): each strategy's picks and Kelly p/b, tagged with
it, decided in one batch by the live size_batch on each strategy's share of the capital.

Live ≡ backtest for a book, fill for fill, is tests/acceptance/test_live_equals_backtest.py.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import prepare, simulate
from alphamoe.backtest.result import BacktestResult
from alphamoe.backtest.strategies import build_strategy
from alphamoe.cli.app import app
from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BarStore
from alphamoe.sizing.config import SizingConfig
from alphamoe.types import Side

BOOK = {"trend_breakout": 0.6, "momentum_composite": 0.4}
START, END = date(2025, 2, 3), date(2025, 3, 31)


def _config(capital: dict[str, float]) -> BacktestConfig:
    return BacktestConfig(sizing=SizingConfig(strategy_capital=capital, min_order_value=0), route="symbolic")


def test_backtest_when_a_strategy_book_then_each_strategy_picks_and_buys_on_its_share(market_dir: Path) -> None:
    strategies = [build_strategy(name) for name in BOOK]
    prepared = prepare(BarStore(market_dir), START, END, strategies, _config(BOOK))
    result = simulate(prepared)

    assert [leg.strategy for leg in prepared.book] == list(BOOK)
    assert all(leg.picks.counts()["confirm"] > 0 for leg in prepared.book), "each strategy's picks judged"
    assert result.strategy == "trend_breakout+momentum_composite"
    buys = [t for t in result.trades if t.side is Side.BUY]
    assert buys
    tagged = {name for t in buys for name in BOOK if t.why.startswith(f"{name}: ") or f"; {name}: " in t.why}
    assert tagged, [t.why for t in buys[:3]]
    assert any("strategy book (trend_breakout 0.6, momentum_composite 0.4" in note for note in result.notes)
    config = _config({**BOOK, "momentum_composite": 0.1})
    smaller = simulate(prepare(BarStore(market_dir), START, END, strategies, config))
    assert 0 < _bought(smaller, "momentum_composite") < _bought(result, "momentum_composite")  # its share scales it


def test_backtest_when_a_book_without_its_capital_split_or_on_the_compiled_loop_then_refused(
    market_dir: Path,
) -> None:
    strategies = [build_strategy(name) for name in BOOK]
    with pytest.raises(ConfigurationError, match="strategy_capital must give each its share"):
        prepare(BarStore(market_dir), START, END, strategies, _config({}))
    prepared = prepare(BarStore(market_dir), START, END, strategies, _config(BOOK))
    with pytest.raises(ConfigurationError, match="compiled loop runs one strategy"):
        simulate_compiled(prepared)


def _bought(result: BacktestResult, strategy: str) -> int:
    return sum(t.quantity for t in result.trades if t.side is Side.BUY and t.why.startswith(f"{strategy}: "))


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["backtest", *args])
    return result.exit_code, " ".join((result.output + (result.stderr if result.stderr_bytes else "")).split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--book", json.dumps(BOOK), "--strategy", "factor"], "--book runs each strategy at its defaults"),
        (["--book", '{"trend_breakout": 0.7, "momentum_composite": 0.4}'], "sum to 1.1 > 1"),
        (["--book", "[1]"], "--book must be a JSON object"),
        (["--book", '{"moonshot": 0.5}'], "unknown strategy 'moonshot'"),
    ],
)
def test_backtest_cli_when_the_book_is_bad_then_exit_2_naming_it(
    market_dir: Path, args: list[str], expected: str
) -> None:
    code, output = _run("--start", "2024-09-02", "--end", "2024-09-30", "--data", str(market_dir), *args)
    assert code == 2 and expected in output and "Traceback" not in output, output


def test_backtest_cli_when_the_settings_hold_a_book_then_it_runs_on_the_reference_engine(
    market_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALPHAMOE_SCAN__STRATEGIES", json.dumps(BOOK))
    code, output = _run(
        "--start", "2025-03-03", "--end", "2025-03-31", "--data", str(market_dir), "--no-progress", "-o", "json"
    )  # fmt: skip
    assert code == 0, output
    assert "strategy book: the reference engine" in output
    assert '"strategy": "trend_breakout+momentum_composite"' in output
