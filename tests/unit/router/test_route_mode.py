"""The route mode (ALPHAMOE_ROUTE__MODE, `alphamoe run --route`): "none" confirms every signal without the
experts, by the same definition as the backtest's `--route none` (router/quant_only.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.pipeline.stages.route import build_route_stage
from alphamoe.router.config import ROUTE_MODES, RouteSettings
from alphamoe.router.quant_only import QUANT_ONLY, quant_only_verdict
from alphamoe.settings import Settings
from alphamoe.types import Verdict

MakeSignal = Callable[..., SignalGenerated]


def _routed(settings: Settings, make_signal: MakeSignal, **features: float) -> SignalRouted:
    stage = build_route_stage(settings)
    signal = make_signal(**features)
    envelope = build_event(signal, run_id="r1", source="test")
    (out,) = stage.handle(envelope)
    assert isinstance(out.payload, SignalRouted)
    return out.payload


def test_route_mode_when_env_says_none_then_settings_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_ROUTE__MODE", "none")
    assert Settings().route.mode == "none"
    monkeypatch.setenv("ALPHAMOE_ROUTE__MODE", "llm")
    with pytest.raises(ValidationError, match="none"):
        Settings()


def test_route_mode_default_is_symbolic_and_names_match_backtest() -> None:
    from alphamoe.backtest.config import ROUTES

    assert Settings().route.mode == "symbolic"
    assert ROUTES == ROUTE_MODES == ("none", "symbolic")


def test_route_stage_when_mode_none_then_overheated_signal_confirmed_without_experts(
    make_signal: MakeSignal, tmp_path: Path
) -> None:
    hot = {"rsi_14": 95.0}  # the risk skeptic vetoes an overheated stock
    symbolic = _routed(Settings(runs=tmp_path / "a"), make_signal, **hot)
    assert symbolic.verdict is Verdict.VETO

    routed = _routed(Settings(runs=tmp_path / "b", route=RouteSettings(mode="none")), make_signal, **hot)

    assert (routed.verdict, routed.confidence, routed.reasoning_summary) == quant_only_verdict()
    assert (routed.verdict, routed.confidence, routed.reasoning_summary) == (Verdict.CONFIRM, 1.0, QUANT_ONLY)
    assert routed.gate == () and routed.opinions == ()


def test_backtest_route_none_when_picks_routed_then_same_verdict_as_live_stage(market_dir: Path) -> None:
    from datetime import date

    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.backtest.engine import prepare
    from alphamoe.backtest.picks import VERDICTS
    from alphamoe.market.bars import BarStore
    from alphamoe.strategy.trend_breakout import TrendBreakout

    config = BacktestConfig(warmup=120, route="none", confidence=0.5)
    picks = prepare(BarStore(market_dir), date(2024, 7, 1), date(2024, 9, 30), TrendBreakout(), config).picks

    verdict, confidence, summary = quant_only_verdict(0.5)
    assert len(picks.cols) > 0
    assert {VERDICTS[v] for v in picks.verdict.tolist()} == {verdict}
    assert set(picks.confidence.tolist()) == {confidence}
    assert set(picks.summaries) == {summary}


def test_cli_run_when_route_unknown_then_names_the_valid_routes(tmp_path: Path) -> None:
    from alphamoe.cli.app import app

    result = CliRunner().invoke(app, ["run", "--date", "2024-05-06", "--data", str(tmp_path), "--route", "llm"])

    assert result.exit_code != 0
    assert "unknown route 'llm'" in result.output and "none, symbolic" in result.output


def test_cli_run_when_route_none_then_every_signal_confirmed_quant_only(
    market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from alphamoe.cli.app import app
    from alphamoe.market.bars import BarStore

    monkeypatch.delenv("ALPHAMOE_LLM_BASE_URL", raising=False)
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    day = BarStore(market_dir).sessions()[-1]
    out = tmp_path / "r.json"

    result = CliRunner().invoke(
        app, ["run", "--date", day.isoformat(), "--data", str(market_dir), "--route", "none", "--json", str(out)]
    )

    assert result.exit_code == 0, result.output
    routed = json.loads(out.read_text())["routed"]
    assert routed and {(r["verdict"], r["reasoning_summary"]) for r in routed} == {("confirm", QUANT_ONLY)}
