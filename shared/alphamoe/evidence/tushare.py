"""Evidence from tushare pro: announcements (`anns_d`), news (`news`), financial indicators (`fina_indicator_vip`).

Queries go through the one tushare wire client (data.feeds.tushare.TushareClient), paced and retried there.
Each vendor row becomes an EvidenceItem stamped with when it became public, which is what point in time
needs (evidence.store.decision_cutoff: day D's experts see items published before D 09:00 Asia/Shanghai):

| endpoint              | published_at                                                       | symbol       |
|-----------------------|--------------------------------------------------------------------|--------------|
| `anns_d`              | `rec_time` (the publication time); without it, ann_date 23:59:59  | ts_code      |
| `news`                | `datetime` (the flash's time)                                      | market-wide  |
| `fina_indicator_vip`  | ann_date 23:59:59: tushare gives no time of day                    | ts_code      |

A date without a time of day is stamped at its end (23:59:59): an item dated D is seen from D+1's decisions
on, never by D's, because it may have come out after D's 09:00 cutoff. So a financial indicator announced on
D is visible when ann_date < the trading day, never on ann_date itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import pandas as pd

from alphamoe.evidence.items import SHANGHAI, EvidenceItem, EvidenceKind, FetchedDay, indicator_item

ANNOUNCEMENTS = "anns_d"
NEWS = "news"
INDICATORS = "fina_indicator_vip"
ANNOUNCEMENT_FIELDS = ["ann_date", "ts_code", "name", "title", "url", "rec_time"]
NEWS_FIELDS = ["datetime", "content", "title", "channels"]
INDICATOR_FIELDS = [
    "ts_code",
    "ann_date",
    "end_date",
    "eps",
    "roe",
    "roa",
    "netprofit_yoy",
    "or_yoy",
    "grossprofit_margin",
    "netprofit_margin",
    "debt_to_assets",
    "current_ratio",
    "bps",
    "ocfps",
]
PAGE_ROWS = {ANNOUNCEMENTS: 2000, NEWS: 1500, INDICATORS: 5000}  # tushare's documented maximum per call
END_OF_DAY = time(23, 59, 59)
_SYMBOL = re.compile(r"^\d{6}\.(SH|SZ|BJ)$")


class TushareQuery(Protocol):
    """What the fetcher needs of the tushare client (data.feeds.tushare.TushareClient)."""

    def query(
        self, api_name: str, params: dict[str, Any] | None = None, fields: list[str] | None = None
    ) -> pd.DataFrame: ...


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _date_end(value: Any) -> datetime | None:
    text = _text(value)
    if not re.fullmatch(r"\d{8}", text):
        return None
    return datetime.combine(datetime.strptime(text, "%Y%m%d").date(), END_OF_DAY, tzinfo=SHANGHAI)


def _instant(value: Any) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=SHANGHAI)


def _symbol(value: Any) -> str | None:
    text = _text(value).upper()
    return text if _SYMBOL.match(text) else None


def _why_not(api: str, problems: dict[str, bool]) -> str | None:
    # the first problem of a row, naming the endpoint and the field
    return next((f"{api}: {what}" for what, bad in problems.items() if bad), None)


def announcement_items(frame: pd.DataFrame, skipped: Counter[str] | None = None) -> list[EvidenceItem]:
    """Return one NEWS item per `anns_d` row of an A-share with a title and a date; count the others in `skipped`."""
    items = []
    for row in frame.to_dict("records"):
        symbol, title = _symbol(row.get("ts_code")), _text(row.get("title"))
        published = _instant(row.get("rec_time")) or _date_end(row.get("ann_date"))
        why = _why_not(
            ANNOUNCEMENTS,
            {
                "ts_code is not an A-share symbol": symbol is None,
                "title is empty": not title,
                "neither rec_time nor ann_date (YYYYMMDD) is readable": published is None,
            },
        )
        if why is not None or symbol is None or published is None:
            _count(skipped, why)
            continue
        name = _text(row.get("name"))
        fields: dict[str, float | str] = {"ann_date": _text(row.get("ann_date"))}
        if name:
            fields["name"] = name
        items.append(
            EvidenceItem(
                kind=EvidenceKind.NEWS,
                symbol=symbol,
                published_at=published,
                title=title[:300],
                text=_text(row.get("url")),
                fields=fields,
                source=f"tushare {ANNOUNCEMENTS}",
            )
        )
    return items


def news_items(frame: pd.DataFrame, src: str, skipped: Counter[str] | None = None) -> list[EvidenceItem]:
    """Return one market-wide NEWS item per `news` row with a time and some text; count the others."""
    items = []
    for row in frame.to_dict("records"):
        published, content = _instant(row.get("datetime")), _text(row.get("content"))
        title = _text(row.get("title")) or content[:80]
        why = _why_not(NEWS, {"datetime is not readable": published is None, "title and content are empty": not title})
        if why is not None or published is None:
            _count(skipped, why)
            continue
        channels = _text(row.get("channels"))
        items.append(
            EvidenceItem(
                kind=EvidenceKind.NEWS,
                symbol=None,
                published_at=published,
                title=title[:300],
                text=content,
                fields={"channels": channels} if channels else {},
                source=f"tushare {NEWS}:{src}",
            )
        )
    return items


def indicator_items(frame: pd.DataFrame, skipped: Counter[str] | None = None) -> list[EvidenceItem]:
    """Return one FUNDAMENTAL item per `fina_indicator_vip` row: its figures, the period and the announcement.

    A row without symbol, ann_date or end_date is counted in `skipped`; so is a figure that is not a number
    (the row is kept without it).
    """
    items = []
    for row in frame.to_dict("records"):
        symbol, published, period = (
            _symbol(row.get("ts_code")),
            _date_end(row.get("ann_date")),
            _text(row.get("end_date")),
        )
        why = _why_not(
            INDICATORS,
            {
                "ts_code is not an A-share symbol": symbol is None,
                "ann_date is not YYYYMMDD": published is None,
                "end_date is empty": not period,
            },
        )
        if why is not None or symbol is None or published is None:
            _count(skipped, why)
            continue
        items.append(
            indicator_item(
                symbol,
                published,
                {"end_date": period, "ann_date": _text(row.get("ann_date"))},
                ((name, name, row.get(name)) for name in INDICATOR_FIELDS[3:]),
                provider="tushare",
                api=INDICATORS,
                skipped=skipped,
            )
        )
    return items


def _count(skipped: Counter[str] | None, why: str | None) -> None:
    if skipped is not None and why is not None:
        skipped[why] += 1


def _pages(
    client: TushareQuery, api: str, params: dict[str, Any], fields: list[str], page: int
) -> Iterable[pd.DataFrame]:
    # tushare caps the rows per call; offset/limit walk the rest of the day
    offset = 0
    while True:
        frame = client.query(api, {**params, "offset": offset, "limit": page}, fields)
        yield frame
        if len(frame) < page:
            return
        offset += page


class TushareEvidence:
    """One day of announcements, news and financial indicators from tushare pro."""

    name = "tushare"

    def __init__(
        self,
        client: TushareQuery,
        *,
        news_sources: Sequence[str] = ("sina",),
        page_rows: Mapping[str, int] = PAGE_ROWS,
    ) -> None:
        """`news_sources`: tushare `news` src codes (sina, wallstreetcn, 10jqka, eastmoney, cls, …)."""
        self.client = client
        self.news_sources = tuple(news_sources)
        self.page_rows = {**PAGE_ROWS, **page_rows}

    def fetch_day(self, day: date) -> FetchedDay:
        """Return every item the vendor dates on `day` (Asia/Shanghai), and the rows it could not use."""
        stamp = f"{day:%Y%m%d}"
        items: list[EvidenceItem] = []
        skipped: Counter[str] = Counter()
        for frame in _pages(
            self.client, ANNOUNCEMENTS, {"ann_date": stamp}, ANNOUNCEMENT_FIELDS, self.page_rows[ANNOUNCEMENTS]
        ):
            items += announcement_items(frame, skipped)
        start, end = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
        for src in self.news_sources:
            window = {"src": src, "start_date": f"{start:%Y-%m-%d %H:%M:%S}", "end_date": f"{end:%Y-%m-%d %H:%M:%S}"}
            for frame in _pages(self.client, NEWS, window, NEWS_FIELDS, self.page_rows[NEWS]):
                items += news_items(frame, src, skipped)
        for frame in _pages(self.client, INDICATORS, {"ann_date": stamp}, INDICATOR_FIELDS, self.page_rows[INDICATORS]):
            items += indicator_items(frame, skipped)
        return FetchedDay(items=tuple(items), skipped=dict(sorted(skipped.items())))
