"""Grounding: a confirm or veto counts only if it names the company and cites the sent snapshot correctly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from alphamoe.events.payloads import SignalGenerated
from alphamoe.evidence import EvidenceItem, EvidenceKind, EvidenceProvider, EvidenceStore
from alphamoe.evidence.provider import Evidence
from alphamoe.llm.verdict import LlmVerdict
from alphamoe.router.grounding import check_grounding, within_rounding

MakeSignal = Callable[..., SignalGenerated]
Q1 = EvidenceItem(
    kind=EvidenceKind.FUNDAMENTAL,
    symbol="600519.SH",
    published_at=datetime(2024, 4, 26, 19, 30),
    title="Q1 report",
    fields={"roe": 12.34, "end_date": "20240331"},
    source="t",
)
LATER = EvidenceItem(
    kind=EvidenceKind.FUNDAMENTAL,
    symbol="600519.SH",
    published_at=datetime(2024, 5, 6, 15, 0),
    title="published after the cutoff",
    fields={"roe": 99.0},
    source="t",
)


@pytest.fixture
def evidence(make_signal: MakeSignal) -> Evidence:
    provider = EvidenceProvider(EvidenceStore([Q1, LATER]), names=lambda _s, _d: "贵州茅台")
    return provider.evidence(make_signal(), ("fundamentals",))


def _answer(**overrides: Any) -> LlmVerdict:
    values: dict[str, Any] = {
        "symbol": "600519.SH",
        "verdict": "confirm",
        "confidence": 0.7,
        "reasons": ["ROE 12.3"],
        "citations": [{"evidence_id": Q1.id, "field": "roe", "value": 12.3}],
    }
    return LlmVerdict.model_validate({**values, **overrides})


@pytest.mark.parametrize(
    ("quoted", "sent", "ok"),
    [(12.3, 12.34, True), (12, 12.34, True), (12.0, 12.34, False), (12.34, 12.34, True), (12.4, 12.34, False),
     (15.0, 12.34, False), (-1.5, -1.52, True), (0.05, 0.0512, True), (0.051, 0.0512, True), (0.052, 0.0512, False)],
)  # fmt: skip
def test_within_rounding_when_quoted_then_half_a_unit_of_the_last_digit(quoted: float, sent: float, ok: bool) -> None:
    assert within_rounding(quoted, sent) is ok


def test_check_when_cited_as_sent_then_grounded(evidence: Evidence) -> None:
    assert evidence.company.name == "贵州茅台" and evidence.company.exchange == "Shanghai Stock Exchange"
    assert check_grounding(_answer(), evidence) is None
    assert check_grounding(_answer(symbol="600519"), evidence) is None
    headline = [
        {"evidence_id": Q1.id, "field": "title", "value": "Q1 report"},
        {"evidence_id": Q1.id, "symbol": "600519.SH", "date": "2024-04-26"},
        {"evidence_id": Q1.id, "field": "date", "value": "2024-04-26"},
    ]
    assert check_grounding(_answer(citations=headline), evidence) is None
    feature = next(iter(evidence.features))
    cites_feature = [{"evidence_id": "features", "field": feature, "value": evidence.features[feature]}]
    assert check_grounding(_answer(citations=cites_feature), evidence) is None


@pytest.mark.parametrize(
    ("overrides", "code", "says"),
    [
        ({"citations": []}, "cites_nothing", "cites no evidence"),
        ({"citations": [{"evidence_id": "ev-ffff", "field": "roe", "value": 1.0}]}, "not_given", "not given"),
        ({"citations": [{"evidence_id": Q1.id, "field": "pe_ttm", "value": 30.1}]}, "not_given", "'pe_ttm'"),
        ({"citations": [{"evidence_id": Q1.id, "field": "roe", "value": 15.0}]}, "misquote", "the snapshot says 12.34"),
        ({"citations": [{"evidence_id": Q1.id, "field": "roe", "value": None}]}, "misquote", "without the number"),
        ({"citations": [{"evidence_id": Q1.id, "field": "end_date", "value": "20231231"}]}, "misquote", "'20240331'"),
        ({"symbol": "000001.SZ"}, "other_company", "about 000001.SZ, not 600519.SH 贵州茅台"),
        ({"symbol": None}, "other_company", "does not name the company"),
        ({"reasons": ["peer 000858.SZ beat estimates"]}, "other_company", "the reasons name 000858.SZ"),
        ({"citations": [{"evidence_id": Q1.id, "symbol": "000001.SZ"}]}, "other_company", "it is 600519.SH's"),
        ({"citations": [{"evidence_id": Q1.id, "date": "2024-04-25"}]}, "misquote", "published 2024-04-26"),
    ],
)  # fmt: skip
def test_check_when_ungrounded_then_refused_with_code_and_reason(
    evidence: Evidence, overrides: dict[str, Any], code: str, says: str
) -> None:
    refusal = check_grounding(_answer(**overrides), evidence)

    assert refusal is not None and refusal.code == code and says in refusal.reason


def test_check_when_item_published_after_the_cutoff_is_cited_then_not_given(evidence: Evidence) -> None:
    assert [i.id for i in evidence.fundamentals] == [Q1.id]  # the later item was never sent

    refusal = check_grounding(_answer(citations=[{"evidence_id": LATER.id, "field": "roe", "value": 99.0}]), evidence)

    assert refusal is not None and refusal.code == "not_given"


def test_check_when_abstaining_then_no_citation_needed(evidence: Evidence) -> None:
    assert check_grounding(_answer(verdict="abstain", confidence=0.0, citations=[], symbol=None), evidence) is None
