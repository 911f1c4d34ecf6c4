"""Anonymised prompts: no name, code or date reaches the model, and grounding checks against what was sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from alphamoe.evaluate.anonymise import ANCHOR, MASKED_SYMBOL, AnonymisedEvidence, relative_day
from alphamoe.events.payloads import SignalGenerated
from alphamoe.evidence import EvidenceItem, EvidenceKind, EvidenceProvider, EvidenceStore
from alphamoe.evidence.provider import Evidence
from alphamoe.llm.judge import render
from alphamoe.llm.verdict import LlmVerdict
from alphamoe.router.grounding import check_grounding
from alphamoe.types import Board

DAY = date(2024, 5, 6)
REPORT = EvidenceItem(
    kind=EvidenceKind.FUNDAMENTAL,
    symbol="600519.SH",
    published_at=datetime(2024, 4, 26, 19, 30),
    title="贵州茅台 600519 Q1 report for 2024-03-31",
    text="Kweichow: 600519.SH beat on 2024-04-26; target price 1800",
    fields={"roe": 12.34, "target_price": 1800.0},
    source="t",
)


def _signal() -> SignalGenerated:
    return SignalGenerated(
        trading_day=DAY,
        signal_id=f"{DAY}:trend_breakout:600519.SH",
        symbol="600519.SH",
        board=Board.MAIN,
        strategy="trend_breakout",
        rank=0,
        score=1.0,
        reference_price=Decimal("1500.00"),
        prev_close=Decimal("1500.00"),
        features={"ret_20d": 0.0812, "amount_20d": 5_432_109_876.0},
        p_win=0.55,
        payoff=1.5,
        n_trades=40,
    )


@pytest.fixture
def sent() -> Evidence:
    named = EvidenceProvider(EvidenceStore([REPORT]), names=lambda _s, _d: "贵州茅台")
    return AnonymisedEvidence(named).evidence(_signal(), ("fundamentals",))


def test_relative_day_when_before_on_after_then_d_offsets() -> None:
    assert [relative_day(date(2024, 5, d), DAY) for d in (3, 6, 7)] == ["D-3", "D", "D+1"]


def test_anonymise_when_rendered_then_no_name_code_or_real_date_reaches_the_prompt(sent: Evidence) -> None:
    prompt = render(sent)
    for leak in ("600519", "贵州茅台", "2024-", "Shanghai Stock Exchange", "5432109876"):
        assert leak not in prompt, leak
    assert MASKED_SYMBOL in prompt and sent.trading_day == ANCHOR and sent.anonymised
    item = sent.fundamentals[0]
    assert "D-10" in item.text and "D-36" in item.title  # dates in text become relative to the decision day
    assert item.published_at.date() == date(2199, 12, 22)  # 10 days before the fictitious D, time kept
    assert item.fields["target_price"] == pytest.approx(120.0)  # 1800 at a 1500 close: rescaled to 100 at D-1
    assert item.fields["roe"] == 12.34 and sent.features["ret_20d"] == 0.0812  # ratios are what the expert judges
    assert sent.features["amount_20d"] == 5_400_000_000.0  # a turnover level is only kept to 2 figures


def test_anonymise_when_hashed_then_flag_not_sent_and_hash_differs_from_named(sent: Evidence) -> None:
    named = EvidenceProvider(EvidenceStore([REPORT]), names=lambda _s, _d: "贵州茅台").evidence(
        _signal(), ("fundamentals",)
    )
    assert '"anonymised":' not in sent.model_dump_json() and not named.anonymised
    assert sent.input_hash() != named.input_hash()


def _answer(symbol: str, reasons: list[str], value: float) -> LlmVerdict:
    return LlmVerdict.model_validate(
        {
            "symbol": symbol,
            "verdict": "confirm",
            "confidence": 0.7,
            "reasons": reasons,
            "citations": [{"evidence_id": "features", "field": "ret_20d", "value": value}],
        }
    )


def test_grounding_when_anonymised_then_checked_against_the_anonymised_snapshot(sent: Evidence) -> None:
    item = sent.fundamentals[0]
    cited = LlmVerdict.model_validate(
        {
            "symbol": MASKED_SYMBOL,
            "verdict": "veto",
            "confidence": 0.7,
            "reasons": ["target 120"],
            "citations": [{"evidence_id": item.id, "field": "target_price", "value": 120.0}],
        }
    )
    assert check_grounding(cited, sent) is None
    assert check_grounding(_answer(MASKED_SYMBOL, ["momentum"], 0.0812), sent) is None


def test_grounding_when_anonymised_answer_names_the_real_stock_then_refused_as_another_company(sent: Evidence) -> None:
    # a model that recognised the stock and says so has leaked its memory: the answer does not count
    by_symbol = check_grounding(_answer("600519.SH", ["momentum"], 0.0812), sent)
    in_reasons = check_grounding(_answer(MASKED_SYMBOL, ["this is 600519.SH, it beat"], 0.0812), sent)
    assert by_symbol is not None and by_symbol.code == "other_company"
    assert in_reasons is not None and in_reasons.code == "other_company"
