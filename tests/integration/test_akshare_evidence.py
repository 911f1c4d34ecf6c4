"""akshare's evidence: eastmoney announcements and financial indicators over real HTTP into the evidence archive.

The vendor is the eastmoney stand-in (support.eastmoney_standin) answering `api/security/ann` and
RPT_F10_FINANCE_MAINFINADATA in their real shapes; the client is the market update's EastmoneyClient. Point in
time and deduplication are the archive's, as for tushare's evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.eastmoney_standin import EastmoneyStandin, indicator_row, notice_row
from typer.testing import CliRunner

from alphamoe.cli.data_commands import data_app
from alphamoe.data.feeds.akshare import EastmoneyClient
from alphamoe.data.feeds.pacing import Retry
from alphamoe.evidence.akshare import AkshareEvidence
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.items import EvidenceKind
from alphamoe.evidence.store import decision_cutoff
from alphamoe.evidence.window import ArchiveWindow

pytestmark = pytest.mark.integration

DAY, NEXT = date(2024, 4, 29), date(2024, 4, 30)
BARS = pd.DataFrame(  # the stand-in serves quotes too: one bar is enough here
    [{"date": DAY, "symbol": "600519.SH", "name": "贵州茅台", "open": 1600.0, "high": 1610.0, "low": 1590.0,
      "close": 1605.0, "prev_close": 1600.0, "volume": 1e6, "amount": 1.6e9, "st": False, "listing_index": 5000}]
)  # fmt: skip
BULK = [  # a busy evening: more than one page of announcements (akshare pages by 100)
    notice_row(
        f"{600100 + i}", f"公司{i}", f"关于第{i}号事项的公告", "2024-04-29 18:00:00", art_code=f"AN2024042900{i:04d}"
    )
    for i in range(130)
]


@pytest.fixture
def standin() -> Iterator[EastmoneyStandin]:
    notices = [
        notice_row(
            "600519", "贵州茅台", "贵州茅台2024年第一季度报告", "2024-04-29 16:30:00", art_code="AN1", kind="财务报告"
        ),
        notice_row("000001", "平安银行", "平安银行董事会决议公告", "2024-04-29 08:30:00", art_code="AN2"),
        notice_row("900901", "云赛B股", "B股公告", "2024-04-29 17:00:00", art_code="AN3"),  # a B share
        notice_row("000001", "平安银行", "平安银行监事会决议公告", "2024-04-30 18:00:00", art_code="AN4"),
        *BULK,
    ]
    indicators = [
        indicator_row("600519.SH", "2024-03-31", "2024-04-29", EPSJB=19.16, ROEJQ=9.32, XSMLL=91.91, ZCFZL=15.1),
        indicator_row("000001.SZ", "2024-03-31", "2024-04-29", EPSJB="-", ROEJQ=3.2),
        indicator_row("000001.SZ", "2023-12-31", "2024-04-30", EPSJB=2.25),
    ]
    with EastmoneyStandin(bars=BARS, notices=notices, indicators=indicators) as server:
        yield server


def _vendor(standin: EastmoneyStandin) -> AkshareEvidence:
    client = EastmoneyClient(retry=Retry(attempts=2, sleep=lambda _: None))
    return AkshareEvidence(
        client,
        notice_url=f"{standin.base_url}/api/security/ann",
        finance_url=f"{standin.base_url}/securities/api/data/v1/get",
    )


def test_fetch_day_when_eastmoney_answers_then_announcements_and_indicators_with_their_dates(
    standin: EastmoneyStandin,
) -> None:
    fetched = _vendor(standin).fetch_day(DAY)
    notices = {it.title: it for it in fetched.items if it.kind is EvidenceKind.NEWS}
    assert len(notices) == 2 + len(BULK)  # every page read; the B share counted, not kept
    assert standin.calls("/api/security/ann") == 2
    report = notices["贵州茅台2024年第一季度报告"]
    assert report.symbol == "600519.SH" and report.published_at.isoformat() == "2024-04-29T16:30:00+08:00"
    assert report.fields["art_code"] == "AN1" and report.fields["columns"] == "财务报告"
    assert report.text.endswith("/600519/AN1.html") and report.source == "akshare stock_notice_report"
    figures = {it.symbol: it for it in fetched.items if it.kind is EvidenceKind.FUNDAMENTAL}
    moutai = figures["600519.SH"]
    assert moutai.fields == {"end_date": "20240331", "ann_date": "20240429", "eps": 19.16, "roe": 9.32,
                             "grossprofit_margin": 91.91, "debt_to_assets": 15.1}  # fmt: skip
    assert moutai.published_at.isoformat() == "2024-04-29T23:59:59+08:00"  # no time of day: the day's end
    assert figures["000001.SZ"].fields.get("eps") is None and figures["000001.SZ"].fields["roe"] == 3.2
    assert fetched.skipped == {
        "RPT_F10_FINANCE_MAINFINADATA: EPSJB is not a number (row kept without it)": 1,
        "stock_notice_report: codes name no A-share stock": 1,
    }


def test_data_evidence_cli_when_source_akshare_then_archived_point_in_time_and_deduplicated(
    standin: EastmoneyStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__EASTMONEY_NOTICE_URL", f"{standin.base_url}/api/security/ann")
    monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__EASTMONEY_FINANCE_URL", f"{standin.base_url}/securities/api/data/v1/get")
    monkeypatch.delenv("ALPHAMOE_EVIDENCE", raising=False)
    args = [
        "evidence",
        "--source",
        "akshare",
        "--since",
        "2024-04-29",
        "--until",
        "2024-04-30",
        "--data",
        str(tmp_path),
    ]
    first = CliRunner().invoke(data_app, args)
    assert first.exit_code == 0, first.output
    assert f"{2 + len(BULK) + 2 + 2:,} new" in first.output  # notices 132 + 1, indicators 2 + 1
    again = CliRunner().invoke(data_app, args)
    assert again.exit_code == 0 and ", 0 new" in again.output  # the same items again: kept once
    window = ArchiveWindow(EvidenceArchive(tmp_path / "evidence"))

    def seen(kind: EvidenceKind, symbol: str, day: date) -> list[str]:
        return [it.title for it in window.before(kind, symbol, decision_cutoff(day), limit=10)]

    # published 08:30 on the day: before its 09:00 cutoff; 16:30: only from the next day
    assert seen(EvidenceKind.NEWS, "000001.SZ", DAY) == ["平安银行董事会决议公告"]
    assert seen(EvidenceKind.NEWS, "600519.SH", DAY) == []
    assert seen(EvidenceKind.NEWS, "600519.SH", NEXT) == ["贵州茅台2024年第一季度报告"]
    # an indicator announced on the day is seen from the next day's decisions on, never on the day itself
    assert seen(EvidenceKind.FUNDAMENTAL, "600519.SH", DAY) == []
    assert len(seen(EvidenceKind.FUNDAMENTAL, "600519.SH", NEXT)) == 1
