"""`alphamoe evaluate` against the DeepSeek stand-in: a model that is right only when it sees names.

The stand-in's `cheat` mode remembers what each named stock did over the next five sessions; with names,
codes and dates hidden it can only guess. The harness must show its edge in the named evaluation and none
in the anonymised one, refuse to read one kind of record as the other, and give the same evaluation byte
for byte from the same record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support.deepseek_standin import DeepSeekStandin, StandinConfig, future_oracle, write_sample_evidence

from alphamoe.backtest.config import BacktestConfig
from alphamoe.decisions.folder import FolderDecisionStore
from alphamoe.decisions.record import CallRecord
from alphamoe.errors import ConfigurationError
from alphamoe.evaluate.model import Evaluation
from alphamoe.evaluate.report import write_html
from alphamoe.evaluate.run import EvaluationRequest, evaluate
from alphamoe.evaluate.wiring import llm_arm_inputs
from alphamoe.llm.settings import LlmSettings
from alphamoe.market.bars import BarStore
from alphamoe.settings import Settings
from alphamoe.strategy.trend_breakout import TrendBreakout

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START, END = date(2024, 9, 2), date(2024, 11, 29)
LISTED = re.compile(r"\d{6}\.(SH|SZ|BJ)")


@pytest.fixture(scope="module")
def standin(market_dir: Path) -> Iterator[DeepSeekStandin]:
    with DeepSeekStandin(StandinConfig(cheat=future_oracle(market_dir, 5))) as server:
        yield server


@pytest.fixture(scope="module")
def evidence(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    symbols = sorted(BarStore(market_dir).instruments()["symbol"])
    return write_sample_evidence(tmp_path_factory.mktemp("evidence"), symbols, date(2024, 8, 1), future=False)


class Harness:
    def __init__(self, market: Path, evidence: Path, base_url: str, root: Path) -> None:
        self.market, self.evidence, self.base_url, self.root = market, evidence, base_url, root

    def run(
        self,
        record: str,
        *,
        anonymised: bool,
        live: bool,
        budget: Decimal | None = None,
        start: date = START,
        end: date = END,
        track_weights: bool = False,
    ) -> Evaluation:
        llm = LlmSettings(
            base_url=self.base_url, evidence=self.evidence, decisions=str(self.root / record), backoff_s=0.001
        )
        settings = Settings(data=self.market, runs=self.root / "runs", llm=llm)
        bars = BarStore(self.market)
        budget = budget if budget is not None or not live else Decimal(10)
        inputs = llm_arm_inputs(settings, bars, anonymised=anonymised, live=live, budget_cny=budget)
        config = BacktestConfig(warmup=120, max_signals=5)
        request = EvaluationRequest(
            start, end, TrendBreakout(), config, anonymised=anonymised, live=live, track_weights=track_weights
        )
        return evaluate(bars, request, inputs)


@pytest.fixture(scope="module")
def harness(
    market_dir: Path, evidence: Path, standin: DeepSeekStandin, tmp_path_factory: pytest.TempPathFactory
) -> Harness:
    return Harness(market_dir, evidence, standin.base_url, tmp_path_factory.mktemp("evaluate"))


@pytest.fixture(scope="module")
def named(harness: Harness) -> Evaluation:
    return harness.run("named", anonymised=False, live=True)


@pytest.fixture(scope="module")
def anonymised(harness: Harness) -> Evaluation:
    return harness.run("anonymised", anonymised=True, live=True)


def _hit_rate(evaluation: Evaluation, expert: str) -> tuple[int, float]:
    mine = [t for t in evaluation.track_records if t.expert == expert]
    n = sum(t.n for t in mine)
    return n, sum(t.hit_rate * t.n for t in mine) / n


def test_evaluate_when_model_cheats_on_names_then_its_edge_vanishes_anonymised(
    named: Evaluation, anonymised: Evaluation
) -> None:
    n_named, named_rate = _hit_rate(named, "fundamental")
    n_anon, anon_rate = _hit_rate(anonymised, "fundamental")
    assert n_named >= 200 and n_anon >= 200
    assert named_rate >= 0.95, named_rate  # it "knows" what happened next
    assert 0.35 <= anon_rate <= 0.65, anon_rate  # without names it is a coin: ±3 standard errors of 0.5
    assert named_rate - anon_rate >= 0.3
    (named_fund,) = [x for x in named.experts if x.expert == "fundamental"]
    (anon_fund,) = [x for x in anonymised.experts if x.expert == "fundamental"]
    assert named_fund.vetoes >= 50 and anon_fund.vetoes >= 50
    assert named_fund.veto_hit_rate == 1.0 and anon_fund.veto_hit_rate is not None
    assert 0.3 <= anon_fund.veto_hit_rate <= 0.7  # its vetoes: right every time named, a coin anonymised
    assert named_fund.brier < 0.05 < 0.2 < anon_fund.brier  # calibration: 0.9 confident and right vs 0.6 and a coin
    for evaluation in (named, anonymised):
        cost = evaluation.arms[2].cost
        assert cost is not None and cost.calls >= 200 and cost.missing_candidates == 0 and cost.refused == 0
        assert cost.tokens > 0 and cost.cny_per_candidate > 0 and cost.latency_ms_mean is not None
    assert [a.name for a in named.arms] == ["quant", "symbolic", "llm"]
    assert named.arms[0].verdicts["confirm"] == named.candidates  # quant: every pick confirmed


def test_evaluate_when_anonymised_then_record_says_so_and_no_prompt_names_a_stock_or_day(
    anonymised: Evaluation, harness: Harness
) -> None:
    store = FolderDecisionStore(harness.root / "anonymised")
    records = [CallRecord.model_validate_json(store.store.get_bytes(k)) for k in store.store.list("calls/")]
    assert len(records) >= 200 and all(r.anonymised for r in records)
    for r in records:
        assert not LISTED.search(r.prompt) and "2024-" not in r.prompt, r.prompt[:300]
        assert LISTED.fullmatch(r.symbol) and r.trading_day.year == 2024  # the record keeps who and when


def test_evaluate_when_replayed_twice_then_json_and_report_byte_identical_and_equal_to_the_live_run(
    named: Evaluation, harness: Harness, standin: DeepSeekStandin
) -> None:
    before = standin.request_count
    first = harness.run("named", anonymised=False, live=False)
    second = harness.run("named", anonymised=False, live=False)
    assert first.model_dump_json() == second.model_dump_json()
    pages = [write_html(e, harness.root / f"report-{n}.html").read_bytes() for n, e in enumerate((first, second))]
    assert pages[0] == pages[1] and b"symbolic" in pages[0] and b'id="calibration"' in pages[0]
    assert standin.request_count == before  # a replay calls no model
    assert first.model_dump(exclude={"live"}) == named.model_dump(exclude={"live"})


def test_evaluate_when_anonymised_record_read_as_named_then_refused_with_reason(
    anonymised: Evaluation, named: Evaluation, harness: Harness
) -> None:
    with pytest.raises(ConfigurationError, match=r"anonymised record cannot be evaluated named; run with --anonymise"):
        harness.run("anonymised", anonymised=False, live=False)
    with pytest.raises(ConfigurationError, match=r"named record cannot be evaluated anonymised; run without"):
        harness.run("named", anonymised=True, live=False)


def test_evaluate_when_budget_runs_out_then_missing_counted_and_a_second_run_resumes(
    harness: Harness, standin: DeepSeekStandin
) -> None:
    span = {"start": date(2024, 10, 8), "end": date(2024, 10, 25)}
    short = harness.run("budget", anonymised=False, live=True, budget=Decimal("0.02"), **span)
    cost = short.arms[2].cost
    assert cost is not None and cost.calls > 0 and cost.missing_candidates > 0
    before = standin.request_count
    resumed = harness.run("budget", anonymised=False, live=True, budget=Decimal(10), **span)
    after = resumed.arms[2].cost
    assert after is not None and after.missing_candidates == 0
    asked = standin.request_count - before
    assert asked > 0 and after.calls == cost.calls + asked  # only what the record lacked was asked


def test_evaluate_when_track_record_weights_then_the_gate_learns_whom_to_trust_point_in_time(
    named: Evaluation, harness: Harness
) -> None:
    weighted = harness.run("named", anonymised=False, live=False, track_weights=True)
    plain = named.arms[2].added_vetoes[1]
    learned = weighted.arms[2].added_vetoes[1]
    assert plain.horizon == learned.horizon == 5 and plain.n == 0  # unweighted, its vetoes never outvote the panel
    assert learned.n > 0 and learned.hit_rate is not None and learned.hit_rate >= 0.9, learned
    assert weighted.arms[1] == named.arms[1]  # the symbolic arm does not change
