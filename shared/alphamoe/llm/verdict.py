"""The LLM expert's answer: a JSON verdict validated by Pydantic, and the one repair prompt.

The model may only confirm, veto or abstain with a confidence and reasons. Any other key it adds (an
"order", a "quantity", a "limit") is dropped and named in the record: text from a model never reaches sizing
or risk. It also says which company it judged (`symbol`) and cites the evidence it used (`citations`: item
id, field, the value as it read it), which the router checks against what it sent (router.grounding).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from alphamoe.types import Verdict

MAX_REASONS = 5
MAX_REASON = 300


def _one_line(text: str) -> str:
    # reasons land in one-line table cells and summaries: flatten and cut, never reject for length
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 1] + "…"


Reason = Annotated[
    str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v), StringConstraints(min_length=1)
]
MAX_CITATIONS = 12
SCHEMA_HINT = (
    '{"symbol": "<the company\'s symbol>", "verdict": "confirm" | "veto" | "abstain", '
    '"confidence": <number 0..1>, "reasons": ["<short reason>", …], '
    '"citations": [{"evidence_id": "<id of an item, or features, or scan>", "field": "<field name>", '
    '"value": <the number as given, or null>}, …]}'
)


class Citation(BaseModel):
    """One piece of evidence an answer used: an item's id (or "features"/"scan"), a field and its value."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    evidence_id: str = Field(min_length=1, max_length=64)
    field: str | None = Field(None, max_length=64)
    value: int | float | str | None = Field(None, description="as written: 12 quotes to units, 12.0 to tenths")
    symbol: str | None = Field(None, max_length=32, description="the item's company, if the answer states it")
    date: str | None = Field(None, max_length=32, description="the item's publication day, if the answer states it")


class LlmVerdict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    symbol: str | None = Field(None, max_length=32, description="the company the answer is about")
    verdict: Verdict
    confidence: float = Field(ge=0.0, le=1.0)
    reasons: list[Reason] = Field(min_length=1, max_length=MAX_REASONS)
    citations: list[Citation] = Field(default_factory=list, max_length=MAX_CITATIONS)


class Refusal(BaseModel):
    """Why an answer does not count (router.grounding): a code the decision record counts, and a sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[a-z_]{1,32}$")
    reason: str = Field(min_length=1)


class ParsedVerdict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    verdict: LlmVerdict
    dropped_keys: tuple[str, ...] = ()


class InvalidVerdictError(ValueError):
    """The model's content is not a valid verdict; the message says why, for the repair prompt."""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _json_text(content: str) -> str:
    # models often wrap JSON in a fence or put a sentence before it: take the fenced or outermost {...}
    fenced = _FENCE.search(content)
    if fenced:
        return fenced.group(1).strip()
    start, end = content.find("{"), content.rfind("}")
    return content[start : end + 1] if 0 <= start < end else content.strip()


def parse_verdict(content: str | None) -> ParsedVerdict:
    """Return the verdict in the model's content, or raise InvalidVerdictError saying what is wrong."""
    if not content or not content.strip():
        raise InvalidVerdictError("the answer was empty")
    try:
        data: Any = json.loads(_json_text(content))
    except json.JSONDecodeError as exc:
        raise InvalidVerdictError(f"the answer is not JSON: {exc.msg} at char {exc.pos}") from None
    if not isinstance(data, dict):
        raise InvalidVerdictError(f"the answer is a JSON {type(data).__name__}, not an object")
    try:
        verdict = LlmVerdict.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors())
        raise InvalidVerdictError(f"the JSON does not match the verdict schema: {problems}") from None
    dropped = tuple(sorted(set(data) - set(LlmVerdict.model_fields)))
    return ParsedVerdict(verdict=verdict, dropped_keys=dropped)


def repair_prompt(problem: str) -> str:
    """Return the single follow-up message asking the model to restate its verdict as valid JSON."""
    return (
        f"Your previous answer could not be used: {problem}. Reply again with only one JSON object, "
        f"no prose and no code fence, exactly of this shape: {SCHEMA_HINT}"
    )
