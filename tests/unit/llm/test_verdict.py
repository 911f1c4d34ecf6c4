"""The verdict contract: JSON validated by Pydantic; anything beyond the verdict schema is dropped."""

from __future__ import annotations

import json

import pytest

from alphamoe.llm.verdict import MAX_REASON, InvalidVerdictError, parse_verdict, repair_prompt
from alphamoe.types import Verdict

VALID = {"verdict": "confirm", "confidence": 0.72, "reasons": ["earnings up 30%", "valuation fair"]}


def test_parse_verdict_when_plain_json_then_validated() -> None:
    parsed = parse_verdict(json.dumps(VALID))

    assert parsed.verdict.verdict is Verdict.CONFIRM
    assert parsed.verdict.confidence == 0.72
    assert parsed.verdict.reasons == ["earnings up 30%", "valuation fair"]
    assert parsed.dropped_keys == ()


@pytest.mark.parametrize(
    "content",
    [
        f"```json\n{json.dumps(VALID)}\n```",
        f"Here is my verdict:\n{json.dumps(VALID)}\nThanks.",
    ],
)
def test_parse_verdict_when_wrapped_in_fence_or_prose_then_json_found(content: str) -> None:
    assert parse_verdict(content).verdict.verdict is Verdict.CONFIRM


def test_parse_verdict_when_model_adds_order_fields_then_dropped_and_named() -> None:
    smuggled = {**VALID, "quantity": 1_000_000, "order": {"side": "BUY"}, "lift_limits": True}

    parsed = parse_verdict(json.dumps(smuggled))

    assert parsed.dropped_keys == ("lift_limits", "order", "quantity")
    assert set(parsed.verdict.model_dump()) == {"symbol", "verdict", "confidence", "reasons", "citations"}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "empty"),
        ("Sure! I confirm with high confidence.", "not JSON"),
        ('{"verdict": "confirm", "confidence": 0.8, "reasons": ["tre', "not JSON"),
        ('["confirm"]', "not an object"),
        ('{"decision": "confirm", "certainty": "high"}', "verdict"),
        ('{"verdict": "buy", "confidence": 0.8, "reasons": ["x"]}', "verdict"),
        ('{"verdict": "confirm", "confidence": 1.7, "reasons": ["x"]}', "confidence"),
        ('{"verdict": "confirm", "confidence": 0.8, "reasons": []}', "reasons"),
    ],
)
def test_parse_verdict_when_invalid_then_error_says_why(content: str, says: str) -> None:
    with pytest.raises(InvalidVerdictError, match=says):
        parse_verdict(content)


def test_parse_verdict_when_reason_long_or_multiline_then_one_line_cut() -> None:
    parsed = parse_verdict(json.dumps({**VALID, "reasons": ["line one\nline two", "x" * 1000]}))

    assert parsed.verdict.reasons[0] == "line one line two"
    assert len(parsed.verdict.reasons[1]) == MAX_REASON


def test_repair_prompt_when_built_then_names_problem_and_schema() -> None:
    text = repair_prompt("the answer is not JSON")

    assert "the answer is not JSON" in text
    assert '"verdict"' in text and '"confidence"' in text and '"reasons"' in text
