"""A strategy book: several strategies in one scan, each signal tagged, capital split between them in sizing."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError
from support.panels import head
from support.scan_market import day_of, make_market, reference_at
from support.sizing import UNCAPPED, account, routed, size

from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.router.features import ROUTER_FEATURES
from alphamoe.router.graph import default_router
from alphamoe.scan.config import ScanSettings
from alphamoe.scan.scanner import scan_book, scan_day
from alphamoe.settings import Settings
from alphamoe.sizing.config import SizingConfig
from alphamoe.strategy.registry import strategy_by_name
from alphamoe.types import Side


def test_book_when_weights_sum_above_one_then_refused_with_the_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_SCAN__STRATEGIES", '{"trend_breakout": 0.7, "momentum_composite": 0.5}')
    with pytest.raises(ValidationError, match=r"sum to 1.2 > 1: momentum_composite 0.5 \+ trend_breakout 0.7"):
        Settings()
    with pytest.raises(ValidationError, match=r"in \(0, 1\]: mean_reversion=0"):
        ScanSettings(strategies={"trend_breakout": 0.5, "mean_reversion": 0.0})
    monkeypatch.setenv("ALPHAMOE_SCAN__STRATEGIES", '{"trend_breakout": 0.6, "momentum_composite": 0.4}')
    assert Settings().scan.book() == {"trend_breakout": 0.6, "momentum_composite": 0.4}
    assert ScanSettings().book() == {"trend_breakout": 1.0}  # no book: the one strategy has all the capital


def test_scan_book_when_two_strategies_then_one_batch_of_tagged_signals_judged_by_one_router() -> None:
    panel = make_market()
    book = [strategy_by_name("trend_breakout"), strategy_by_name("momentum_composite")]
    signals: list[SignalGenerated] = []
    for row in range(200, 300, 3):
        result = scan_book(head(panel, row), day_of(panel, row), reference_at(panel, row), book)
        alone = [scan_day(head(panel, row), day_of(panel, row), reference_at(panel, row), s) for s in book]
        assert result.signals == tuple(s for r in alone for s in r.signals)  # each strategy's own, in book order
        assert result.completed.candidates == len(result.signals)  # the batch size waits for all of them
        assert result.completed.strategy == "trend_breakout+momentum_composite"
        assert set(result.completed.exits) == {x for r in alone for x in r.completed.exits}
        signals += result.signals
    tags = Counter(s.strategy for s in signals)
    assert tags["trend_breakout"] > 0 and tags["momentum_composite"] > 0, tags
    assert len({s.signal_id for s in signals}) == len(signals)  # the strategy is in the id: no collision
    assert all(set(ROUTER_FEATURES) <= set(s.features) for s in signals)
    judged = default_router(llm_enabled=False).route_batch(signals)
    assert {r.signal.strategy for r in judged if r.opinions and r.verdict.value != "abstain"} == set(tags)


def of_strategy(r: SignalRouted, strategy: str) -> SignalRouted:
    signal = SignalGenerated.model_validate(
        {**r.signal.model_dump(), "strategy": strategy, "signal_id": f"{r.signal.signal_id}:{strategy}"}
    )
    return SignalRouted.model_validate({**r.model_dump(), "signal": signal})


def test_sizing_when_a_book_then_each_strategy_bets_its_share_of_the_capital() -> None:
    config = UNCAPPED  # no cap binds, so the weights show the split itself
    signals = [of_strategy(routed("600000.SH"), "trend_breakout"), of_strategy(routed("000001.SZ"), "momentum")]
    whole = {o.symbol: o for o in size(signals, account(), config)}
    book = SizingConfig.model_validate(
        {**UNCAPPED.model_dump(), "strategy_capital": {"trend_breakout": 0.5, "momentum": 0.25}}
    )
    split = {o.symbol: o for o in size(signals, account(), book)}
    assert split["600000.SH"].target_weight == pytest.approx(whole["600000.SH"].target_weight * 0.5)
    assert split["000001.SZ"].target_weight == pytest.approx(whole["000001.SZ"].target_weight * 0.25)
    assert split["600000.SH"].quantity < whole["600000.SH"].quantity
    assert any("trend_breakout capital 0.5" in reason for reason in split["600000.SH"].reasons)
    outside = SizingConfig.model_validate({**UNCAPPED.model_dump(), "strategy_capital": {"trend_breakout": 1.0}})
    assert [o.symbol for o in size(signals, account(), outside) if o.side is Side.BUY] == ["600000.SH"]
