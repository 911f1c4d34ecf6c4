"""Grounded verdicts: an LLM expert's confirm or veto counts only if it cites what it was sent, correctly.

The router keeps the point-in-time snapshot it sent (evidence.provider.Evidence) and checks the answer
against it. A confirm or veto is refused, and the expert abstains with the reason, when the answer
- names another company, or none (`other_company`): its `symbol` is not the one in the prompt, or its
  reasons name another listed code (e.g. 000001.SZ);
- cites nothing (`cites_nothing`);
- cites an id, or a field of an item, that was not in the snapshot (`not_given`);
- misquotes (`misquote`): a cited value differs from the sent one by more than the rounding of the digits
  it quotes (12.3 for 12.34 is a quote; 15 for 12.34 is not), or a number is cited without its value, or
  the publication day it states for an item is not the item's;
- states another company for a cited item (`other_company`).
An abstention needs no citation. Items are cited by their stable id; the signal's own numbers as
"features" and "scan". Every sent item is for this company (or market-wide) and published before the
cutoff, so an id that was sent is also the right symbol and date.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from alphamoe.evidence.items import SHANGHAI
from alphamoe.evidence.provider import Evidence
from alphamoe.llm.verdict import Citation, LlmVerdict, Refusal
from alphamoe.types import Verdict

RefusalCode = Literal["other_company", "cites_nothing", "not_given", "misquote"]
REFUSAL_CODES: tuple[RefusalCode, ...] = ("other_company", "cites_nothing", "not_given", "misquote")
_LISTED_CODE = re.compile(r"(?<![\d.])(\d{6})\.(SH|SZ|BJ)\b", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?\d+(?:\.(\d+))?$")


Snapshot = dict[str, dict[str, float | str]]


def snapshot(evidence: Evidence) -> Snapshot:
    """Return what the prompt gave, by citable id: each item's fields, title and time; features; scan."""
    sent: Snapshot = {"features": dict(evidence.features), "scan": evidence.scan.model_dump()}
    for item in evidence.dated_items():
        sent[item.id] = {
            **item.fields,
            "title": item.title,
            "published_at": item.published_at.isoformat(),
            "date": item.published_at.astimezone(SHANGHAI).date().isoformat(),
            "symbol": item.symbol or "market-wide",
        }
    return sent


def _same_symbol(said: str, ours: str) -> bool:
    said = said.strip().upper()
    return said == ours or said == ours.partition(".")[0]


def _decimals(value: float) -> int | None:
    # the digits the model wrote (an int: none); None when it wrote an exponent (then only an exact match counts)
    text = repr(value)
    found = _NUMBER.match(text)
    if found is None:
        return None
    return len(found.group(1) or "")


def within_rounding(quoted: float, sent: float) -> bool:
    """True when `quoted` is `sent` rounded to the decimals `quoted` shows (half a unit of its last digit)."""
    if isinstance(quoted, float) and (math.isnan(quoted) or math.isinf(quoted)):
        return False
    decimals = _decimals(quoted)
    slack = 1e-9 * max(1.0, abs(sent))
    if decimals is None:
        return abs(quoted - sent) <= slack
    return abs(quoted - sent) <= 0.5 * 10.0**-decimals + slack


def _as_number(value: float | str | None) -> float | None:
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%").replace(",", ""))
        except ValueError:
            return None
    return None


def _check_citation(citation: Citation, sent: Snapshot) -> Refusal | None:
    cited = citation.evidence_id
    if cited not in sent:
        return Refusal(code="not_given", reason=f"cites {cited!r}, which it was not given")
    values = sent[cited]
    owner = str(values.get("symbol", "market-wide"))
    if citation.symbol is not None and owner != "market-wide" and not _same_symbol(citation.symbol, owner):
        return Refusal(code="other_company", reason=f"cites {cited} as {citation.symbol}'s; it is {owner}'s")
    if citation.date is not None and "date" in values and not citation.date.startswith(str(values["date"])):
        return Refusal(code="misquote", reason=f"dates {cited} {citation.date}; it was published {values['date']}")
    if citation.field is None:
        return None  # an item cited as a whole (a headline)
    if citation.field not in values:
        return Refusal(code="not_given", reason=f"cites {citation.field!r} of {cited!r}, which it was not given")
    given = values[citation.field]
    if isinstance(given, str):
        if citation.value is not None and str(citation.value).strip() != given.strip():
            return Refusal(
                code="misquote", reason=f"quotes {citation.field} of {cited} as {citation.value!r}, not {given!r}"
            )
        return None
    quoted = _as_number(citation.value)
    if quoted is None:
        return Refusal(code="misquote", reason=f"cites {citation.field} of {cited} without the number it read")
    if not within_rounding(quoted, float(given)):
        return Refusal(
            code="misquote", reason=f"quotes {citation.field} of {cited} as {quoted:g}; the snapshot says {given:g}"
        )
    return None


def check_grounding(answer: LlmVerdict, evidence: Evidence) -> Refusal | None:
    """Return why `answer` may not count on `evidence`'s signal, or None when it is grounded (or abstains)."""
    if answer.verdict is Verdict.ABSTAIN:
        return None
    company = evidence.company
    who = f"{company.symbol} {company.name}".strip()
    if answer.symbol is None or not answer.symbol.strip():
        return Refusal(code="other_company", reason=f"the answer does not name the company it judged ({who} asked)")
    if not _same_symbol(answer.symbol, company.symbol):
        return Refusal(code="other_company", reason=f"the answer is about {answer.symbol}, not {who}")
    others = sorted(
        {f"{code}.{board.upper()}" for code, board in _LISTED_CODE.findall(" ".join(answer.reasons))} - {company.symbol}
    )
    if others:
        return Refusal(code="other_company", reason=f"the reasons name {', '.join(others)}, not {who}")
    if not answer.citations:
        return Refusal(code="cites_nothing", reason="the answer cites no evidence")
    sent = snapshot(evidence)
    for citation in answer.citations:
        refusal = _check_citation(citation, sent)
        if refusal is not None:
            return refusal
    return None
