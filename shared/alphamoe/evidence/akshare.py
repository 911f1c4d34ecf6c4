"""Evidence from eastmoney the way akshare reads it: announcements and financial indicators with their dates.

akshare hardcodes eastmoney's hosts, so the queries go through our own eastmoney client (the market update's
`data.feeds.akshare.EastmoneyClient`, paced and retried there), the URLs as settings
(ALPHAMOE_DATA_SOURCE__EASTMONEY_NOTICE_URL, __EASTMONEY_FINANCE_URL). Parameters and fields as akshare sends
and reads them (`akshare/stock_fundamental/stock_notice.py`, `stock_financial_analysis_indicator_em`):

| what                  | akshare function                        | endpoint (default host)                   |
|-----------------------|-----------------------------------------|-------------------------------------------|
| a day's announcements | `stock_notice_report(date=D)`           | `np-anotice-stock…/api/security/ann`      |
| financial indicators  | `stock_financial_analysis_indicator_em` | `datacenter…/securities/api/data/v1/get`  |

`api/security/ann` (sr=-1, ann_type=A, client_source=web, f_node=0, s_node=0, begin_time = end_time = D,
page_size/page_index) answers `data.list[]` and `data.total_hits`; an item has `art_code`, `title`,
`notice_date` ("YYYY-MM-DD 00:00:00"), `eiTime` (the publication time, "YYYY-MM-DD HH:MM:SS:mmm"),
`display_time`, `codes[]` (stock_code, short_name) and `columns[]` (column_name: the announcement's kind).
RPT_F10_FINANCE_MAINFINADATA answers `result.data[]` and `result.pages` (`result: null` when nothing
matches): SECUCODE, REPORT_DATE (the period), NOTICE_DATE (the announcement), EPSJB, BPS, ROEJQ, ZZCJLL, XSMLL,
XSJLL, ZCFZL, LD, TOTALOPERATEREVETZ, PARENTNETPROFITTZ, MGJYXJJE. akshare asks it per stock
(SECUCODE="600519.SH"); a day's evidence asks it for the day's announcements (NOTICE_DATE on the day).

Point in time as the tushare evidence (evidence.tushare): an announcement is stamped with its `eiTime`
(`display_time`, else `notice_date` 23:59:59); an indicator with NOTICE_DATE 23:59:59, since eastmoney gives no
time of day, so it is seen from the next day's decisions on. Figures keep tushare's names (eps, roe, …) so an
expert reads the same keys from either vendor. News (akshare `stock_news_em`: a per-stock keyword search on
search-api-web.eastmoney.com, JSONP, with no stable day query) is not fetched from eastmoney.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from alphamoe.data.importer import stock_symbol
from alphamoe.evidence.items import SHANGHAI, EvidenceItem, EvidenceKind, FetchedDay, indicator_item
from alphamoe.evidence.tushare import END_OF_DAY

NOTICE_URL = "https://np-anotice-stock.eastmoney.com/api/security/ann"
FINANCE_URL = "https://datacenter.eastmoney.com/securities/api/data/v1/get"
NOTICES = "stock_notice_report"
INDICATORS = "RPT_F10_FINANCE_MAINFINADATA"
NOTICE_PAGE = 100  # akshare's page size
FINANCE_PAGE = 500
FIGURES = {  # eastmoney's column → tushare fina_indicator's name (evidence.tushare.INDICATOR_FIELDS)
    "EPSJB": "eps", "ROEJQ": "roe", "ZZCJLL": "roa", "PARENTNETPROFITTZ": "netprofit_yoy",
    "TOTALOPERATEREVETZ": "or_yoy", "XSMLL": "grossprofit_margin", "XSJLL": "netprofit_margin",
    "ZCFZL": "debt_to_assets", "LD": "current_ratio", "BPS": "bps", "MGJYXJJE": "ocfps",
}  # fmt: skip
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?")


class EastmoneyGet(Protocol):
    """What the fetcher needs of the eastmoney client (data.feeds.akshare.EastmoneyClient)."""

    def get(self, url: str, params: dict[str, str], what: str) -> dict[str, Any]: ...


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _stamp(value: Any, *, day_end: bool) -> datetime | None:
    # eastmoney's "YYYY-MM-DD HH:MM:SS[:mmm]" in Asia/Shanghai; `day_end`: the date alone, at 23:59:59
    m = _STAMP.match(_text(value))
    if m is None:
        return None
    try:
        day = date.fromisoformat(m.group(1))
        if day_end:
            return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)
        if m.group(2) is None:
            return None
        return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def _a_share(codes: Any) -> tuple[str, str] | None:
    # the first A-share stock an announcement names (an A+B company lists both), with its short name
    for code in codes if isinstance(codes, list) else []:
        if isinstance(code, dict) and (symbol := stock_symbol(_text(code.get("stock_code")))) is not None:
            return symbol, _text(code.get("short_name"))
    return None


def notice_items(rows: Iterable[dict[str, Any]], skipped: Counter[str] | None = None) -> list[EvidenceItem]:
    """Return one NEWS item per announcement of an A-share with a title and a date; count the others."""
    items = []
    for row in rows:
        stock, title = _a_share(row.get("codes")), _text(row.get("title")) or _text(row.get("title_ch"))
        published = (
            _stamp(row.get("eiTime"), day_end=False)
            or _stamp(row.get("display_time"), day_end=False)
            or _stamp(row.get("notice_date"), day_end=True)
        )
        problems = {
            "codes name no A-share stock": stock is None,
            "title is empty": not title,
            "neither eiTime, display_time nor notice_date is readable": published is None,
        }
        why = next((f"{NOTICES}: {what}" for what, bad in problems.items() if bad), None)
        if why is not None or stock is None or published is None:
            if skipped is not None and why is not None:
                skipped[why] += 1
            continue
        symbol, name = stock
        art = _text(row.get("art_code"))
        fields: dict[str, float | str] = {"notice_date": _text(row.get("notice_date"))[:10]}
        if art:
            fields["art_code"] = art
        if name:
            fields["name"] = name
        kinds = [_text(c.get("column_name")) for c in row.get("columns") or [] if isinstance(c, dict)]
        if any(kinds):
            fields["columns"] = "|".join(k for k in kinds if k)
        url = f"https://data.eastmoney.com/notices/detail/{symbol[:6]}/{art}.html" if art else ""
        items.append(
            EvidenceItem(
                kind=EvidenceKind.NEWS,
                symbol=symbol,
                published_at=published,
                title=title[:300],
                text=url,
                fields=fields,
                source=f"akshare {NOTICES}",
            )
        )
    return items


def indicator_items(rows: Iterable[dict[str, Any]], skipped: Counter[str] | None = None) -> list[EvidenceItem]:
    """Return one FUNDAMENTAL item per RPT_F10_FINANCE_MAINFINADATA row: its figures, period and announcement.

    A row without SECUCODE, NOTICE_DATE or REPORT_DATE is counted in `skipped`; so is a figure that is not a
    number (the row is kept without it).
    """
    items = []
    for row in rows:
        symbol = stock_symbol(_text(row.get("SECUCODE")) or _text(row.get("SECURITY_CODE")))
        published = _stamp(row.get("NOTICE_DATE"), day_end=True)
        period = _stamp(row.get("REPORT_DATE"), day_end=True)
        problems = {
            "SECUCODE is not an A-share stock": symbol is None,
            "NOTICE_DATE is not a date": published is None,
            "REPORT_DATE is not a date": period is None,
        }
        why = next((f"{INDICATORS}: {what}" for what, bad in problems.items() if bad), None)
        if why is not None or symbol is None or published is None or period is None:
            if skipped is not None and why is not None:
                skipped[why] += 1
            continue
        end = f"{period:%Y%m%d}"
        values = ((column, name, row.get(column)) for column, name in FIGURES.items())
        items.append(
            indicator_item(
                symbol,
                published,
                {"end_date": end, "ann_date": f"{published:%Y%m%d}"},
                ((column, name, value) for column, name, value in values if value != ""),  # "": eastmoney's none
                provider="akshare",
                api=INDICATORS,
                skipped=skipped,
            )
        )
    return items


class AkshareEvidence:
    """One day of announcements and financial indicators from eastmoney, as akshare fetches them."""

    name = "akshare"

    def __init__(self, client: EastmoneyGet, *, notice_url: str = NOTICE_URL, finance_url: str = FINANCE_URL) -> None:
        self.client = client
        self.notice_url, self.finance_url = notice_url, finance_url

    def fetch_day(self, day: date) -> FetchedDay:
        """Return every item eastmoney dates on `day` (Asia/Shanghai), and the rows it could not use."""
        skipped: Counter[str] = Counter()
        items = notice_items(self.notices(day), skipped) + indicator_items(self.indicators(day), skipped)
        return FetchedDay(items=tuple(items), skipped=dict(sorted(skipped.items())))

    def notices(self, day: date) -> list[dict[str, Any]]:
        """Return the announcement rows of `day`, every page (akshare `stock_notice_report(date=D)`)."""
        rows: list[dict[str, Any]] = []
        page, total = 1, None
        while total is None or len(rows) < total:
            params = {"sr": "-1", "page_size": str(NOTICE_PAGE), "page_index": str(page), "ann_type": "A",
                      "client_source": "web", "f_node": "0", "s_node": "0", "begin_time": day.isoformat(),
                      "end_time": day.isoformat()}  # fmt: skip
            answer = self.client.get(self.notice_url, params, f"eastmoney announcements({day}, page {page})")
            data = answer.get("data") or {}
            found = data.get("list") or []
            rows.extend(found)
            total = int(data.get("total_hits") or 0)
            if not found:
                break
            page += 1
        return rows

    def indicators(self, day: date) -> list[dict[str, Any]]:
        """Return the RPT_F10_FINANCE_MAINFINADATA rows announced on `day`, every page."""
        rows: list[dict[str, Any]] = []
        page, pages = 1, 1
        window = f"(NOTICE_DATE>='{day.isoformat()}')(NOTICE_DATE<'{(day + timedelta(days=1)).isoformat()}')"
        while page <= pages:
            params = {"reportName": INDICATORS, "columns": "ALL", "quoteColumns": "", "filter": window,
                      "pageNumber": str(page), "pageSize": str(FINANCE_PAGE), "sortColumns": "SECUCODE,REPORT_DATE",
                      "sortTypes": "1,-1", "source": "HSF10", "client": "PC"}  # fmt: skip
            answer = self.client.get(self.finance_url, params, f"eastmoney {INDICATORS}({day}, page {page})")
            result = answer.get("result") or {}
            rows.extend(result.get("data") or [])
            pages = int(result.get("pages") or 0)
            page += 1
        return rows
