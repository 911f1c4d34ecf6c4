"""Anonymised prompts: the model sees no name, code or date, so its memory of history cannot leak in.

The evidence an LLM expert is sent is rewritten before the call: the company becomes STOCK_A on a masked
exchange, with no name; every date moves onto a fictitious calendar where the decision day D is ANCHOR
(2200-01-01), so an item published three days before D reads 2199-12-29 and the text says "D-3"; price
levels are rescaled so the last close before D (the signal's reference price) is 100; the turnover is
rounded to two significant figures. Returns, ratios and fundamentals' multiples are kept: they are what
the expert judges by. The anonymised evidence IS the snapshot sent, so grounding (router.grounding) checks
the answer against it: an answer that names the real code is about "another company" and is refused.
The record of such a call says `anonymised: true` (decisions.record.CallRecord).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import date, timedelta

from alphamoe.events.payloads import SignalGenerated
from alphamoe.evidence.items import EvidenceItem, evidence_id
from alphamoe.evidence.provider import Company, Evidence, EvidenceProvider

MASKED_SYMBOL = "STOCK_A"
MASKED_NAME = "name withheld (anonymised)"
MASKED_EXCHANGE = "an A-share exchange (withheld)"
ANCHOR = date(2200, 1, 1)
"""Day D on the fictitious calendar: a year no model has memories of."""
PRICE_FIELDS = frozenset({"open", "high", "low", "close", "prev_close", "price", "target_price", "reference_price"})
"""Item fields that are price levels, rescaled to 100 at D-1's close."""
LEVEL_FEATURES = frozenset({"amount_20d"})
"""Features in CNY: a level that would fingerprint the stock, rounded to two significant figures."""
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def relative_day(day: date, decision_day: date) -> str:
    """Return `day` as seen from the decision day: "D", "D-3", "D+1" (calendar days)."""
    offset = (day - decision_day).days
    return "D" if offset == 0 else f"D{offset:+d}"


def _two_figures(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, 1 - math.floor(math.log10(abs(value))))


class _Masker:
    # rewrites one signal's text: its code (with and without the exchange suffix), its name, its dates
    def __init__(self, symbol: str, name: str, decision_day: date) -> None:
        code = symbol.partition(".")[0]
        parts = [re.escape(symbol), rf"(?<!\d){re.escape(code)}(?!\d)"]
        if name.strip():
            parts.insert(0, re.escape(name.strip()))
        self._identity = re.compile("|".join(parts), re.IGNORECASE)
        self._day = decision_day

    def text(self, text: str) -> str:
        masked = self._identity.sub(MASKED_SYMBOL, text)
        return _ISO_DAY.sub(self._relative, masked)

    def _relative(self, found: re.Match[str]) -> str:
        try:
            return relative_day(date(int(found[1]), int(found[2]), int(found[3])), self._day)
        except ValueError:
            return "D?"


def _item(item: EvidenceItem, masker: _Masker, shift: timedelta, scale: float) -> EvidenceItem:
    fields: dict[str, float | str] = {}
    for key, value in item.fields.items():
        if isinstance(value, str):
            fields[key] = masker.text(value)
        elif key in PRICE_FIELDS and scale > 0:
            fields[key] = round(value * scale, 4)
        else:
            fields[key] = value
    published = item.published_at + shift
    title = masker.text(item.title)
    symbol = MASKED_SYMBOL if item.symbol is not None else None
    # model_construct: STOCK_A is not a listed Symbol by design; the id is recomputed from the masked item
    return EvidenceItem.model_construct(
        id=evidence_id("anonymised", item.kind.value, symbol, published, title),
        kind=item.kind,
        symbol=symbol,
        published_at=published,
        title=title,
        text=masker.text(item.text),
        fields=fields,
        source="anonymised",
    )


def anonymise(evidence: Evidence, reference_price: float) -> Evidence:
    """Return `evidence` with names, codes and dates hidden and price levels rescaled (module docstring)."""
    masker = _Masker(evidence.company.symbol, evidence.company.name, evidence.trading_day)
    shift = ANCHOR - evidence.trading_day
    scale = 100.0 / reference_price if reference_price > 0 else 0.0
    features = {
        key: _two_figures(value) if key in LEVEL_FEATURES else value for key, value in evidence.features.items()
    }
    return Evidence(
        company=Company(symbol=MASKED_SYMBOL, name=MASKED_NAME, exchange=MASKED_EXCHANGE),
        symbol=MASKED_SYMBOL,
        board=evidence.board,
        st=evidence.st,
        trading_day=ANCHOR,
        cutoff=evidence.cutoff + shift,
        features=features,
        scan=evidence.scan,
        fundamentals=tuple(_item(i, masker, shift, scale) for i in evidence.fundamentals),
        news=tuple(_item(i, masker, shift, scale) for i in evidence.news),
        market_news=tuple(_item(i, masker, shift, scale) for i in evidence.market_news),
        anonymised=True,
    )


class AnonymisedEvidence(EvidenceProvider):
    """An evidence provider whose every answer is anonymised before an LLM expert sends it."""

    def __init__(self, inner: EvidenceProvider) -> None:
        super().__init__(inner.store, max_items=inner.max_items, names=inner.names)

    def evidence(self, signal: SignalGenerated, kinds: Collection[str] = ()) -> Evidence:
        return anonymise(super().evidence(signal, kinds), float(signal.reference_price))
