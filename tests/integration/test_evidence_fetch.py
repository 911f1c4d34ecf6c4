"""Evidence that is there by itself: tushare's announcements, news and indicators fetched over real HTTP into the
archive (local and S3), deduplicated, point in time, and read by the route stage without ALPHAMOE_EVIDENCE.

The vendor is the tushare stand-in (support.tushare_standin) serving support.tushare_evidence's rows; the client
is the one the market update uses (data.feeds.tushare.TushareClient).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from support.deepseek_standin import DeepSeekStandin
from support.features import HEALTHY
from support.s3 import BUCKET  # the s3 and s3_env fixtures: tests/integration/conftest.py
from support.tushare_evidence import DAY, FIRST, Q1, evidence_tables
from support.tushare_standin import TOKEN, TushareStandin
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.data.feeds.pacing import Retry
from alphamoe.data.feeds.tushare import TushareClient
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.evidence import EvidenceProvider, EvidenceStore
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.tushare import TushareEvidence
from alphamoe.evidence.update import calendar_days, update_evidence
from alphamoe.llm.settings import LlmSettings
from alphamoe.pipeline.stages.route import build_route_stage
from alphamoe.settings import Settings
from alphamoe.storage.local_s3 import LocalS3

pytestmark = pytest.mark.integration


@pytest.fixture
def tushare() -> Iterator[TushareStandin]:
    with TushareStandin(evidence_tables()) as server:
        yield server


def _vendor(standin: TushareStandin, page_rows: dict[str, int] | None = None) -> TushareEvidence:
    client = TushareClient(TOKEN, base_url=standin.base_url, retry=Retry(attempts=2, sleep=lambda _: None))
    return TushareEvidence(client, page_rows=page_rows or {})


def _fill(root: Path | str, vendor: TushareEvidence) -> list[int]:
    return [update_evidence(root, vendor, day).added for day in calendar_days(FIRST, DAY)]


HK_SKIPPED = "anns_d: ts_code is not an A-share symbol"


def _signal(symbol: str, day: date = DAY) -> SignalGenerated:
    return SignalGenerated(
        trading_day=day,
        signal_id=f"{day}:trend_breakout:{symbol}",
        symbol=symbol,
        board="main",
        strategy="trend_breakout",
        rank=0,
        score=1.0,
        reference_price=Decimal("10.00"),
        prev_close=Decimal("10.00"),
        features=dict(HEALTHY),
        p_win=0.55,
        payoff=1.5,
        n_trades=40,
    )


def _titles(store: EvidenceStore, symbol: str, day: date = DAY) -> dict[str, list[str]]:
    evidence = EvidenceProvider(store).evidence(_signal(symbol, day), ("fundamentals", "news", "market_news"))
    return {
        "fundamentals": [i.title for i in evidence.fundamentals],
        "news": [i.title for i in evidence.news],
        "market_news": [i.title for i in evidence.market_news],
    }


def test_update_when_days_fetched_then_kept_once_by_kind_and_day_and_only_what_was_public_is_seen(
    tushare: TushareStandin, tmp_path: Path
) -> None:
    root = tmp_path / "evidence"

    added = _fill(root, _vendor(tushare))

    assert sum(added) == 8  # 4 A-share announcements (one sent twice), 2 sina flashes, 2 indicator rows
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.jsonl")) == [
        "fundamental/2024/2024-05-03.jsonl",
        "fundamental/2024/2024-05-06.jsonl",
        "news/2024/2024-05-03.jsonl",
        "news/2024/2024-05-05.jsonl",
        "news/2024/2024-05-06.jsonl",
    ]
    store = EvidenceStore.load(root)
    assert _titles(store, "600000.SH") == {
        "fundamentals": ["600000.SH financial indicators for the period ending 20240331"],
        "news": ["浦发银行2023年年度权益分派实施公告", "浦发银行董事会决议公告"],  # 07:45 on DAY: before 09:00
        "market_news": ["央行：保持流动性合理充裕"],
    }
    (q1,) = EvidenceProvider(store).evidence(_signal("600000.SH"), ("fundamentals",)).fundamentals
    assert {k: q1.fields[k] for k in Q1} == Q1 and q1.fields["end_date"] == "20240331"
    assert _titles(store, "000001.SZ")["news"] == ["平安银行关于回购股份的公告"]  # no rec_time: end of ann_date
    # the next day sees what came out after DAY's cutoff: the 18:00 clarification, the annual indicators
    later = _titles(store, "600000.SH", DAY + timedelta(days=1))
    assert later["news"][-1] == "浦发银行澄清公告"
    assert later["fundamentals"][-1] == "600000.SH financial indicators for the period ending 20231231"


def test_update_when_days_fetched_again_then_nothing_added_and_files_unchanged(
    tushare: TushareStandin, tmp_path: Path
) -> None:
    root = tmp_path / "evidence"
    _fill(root, _vendor(tushare))
    before = {p: p.read_bytes() for p in root.rglob("*.jsonl")}

    again = [update_evidence(root, _vendor(tushare), day) for day in calendar_days(FIRST, DAY)]

    assert [u.added for u in again] == [0, 0, 0, 0]
    assert [u.skipped for u in again] == [{}, {}, {HK_SKIPPED: 1}, {}]  # the 00700.HK row, named
    assert sum(u.duplicates for u in again) == sum(u.fetched for u in again) == 9
    assert {p: p.read_bytes() for p in root.rglob("*.jsonl")} == before


def test_update_when_a_page_is_full_then_the_next_page_is_asked_for(tushare: TushareStandin, tmp_path: Path) -> None:
    added = _fill(tmp_path / "evidence", _vendor(tushare, page_rows={"anns_d": 2}))

    assert sum(added) == 8
    offsets = [s["params"]["offset"] for s in tushare.seen if s["api_name"] == "anns_d"]
    assert offsets == [0, 2, 0, 0, 2, 0, 2]  # two rows on 05-03, none on 05-04, two (one HK) on 05-05 and 05-06


def test_update_when_archive_on_s3_then_same_items_as_a_folder(
    tushare: TushareStandin, s3_env: LocalS3, tmp_path: Path
) -> None:
    url = f"s3://{BUCKET}/market/evidence"

    _fill(url, _vendor(tushare))
    _fill(tmp_path / "evidence", _vendor(tushare))

    on_s3, local = EvidenceStore.load(url), EvidenceStore.load(tmp_path / "evidence")
    assert len(on_s3) == len(local) == 8
    assert _titles(on_s3, "600000.SH") == _titles(local, "600000.SH")
    assert EvidenceArchive(url).partitions() == EvidenceArchive(tmp_path / "evidence").partitions()


def test_cli_data_evidence_then_route_stage_reads_it_without_any_evidence_setting(
    tushare: TushareStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "market"
    for name in ("ALPHAMOE_EVIDENCE", "ALPHAMOE_LLM_BASE_URL", "ALPHAMOE_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__TOKEN", TOKEN)
    monkeypatch.setenv("ALPHAMOE_DATA_SOURCE__BASE_URL", tushare.base_url)
    args = ["data", "evidence", "--since", f"{FIRST}", "--until", f"{DAY}", "--data", str(data)]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "8 new" in result.output and f"{data / 'evidence'}" in result.output.replace("\n", "")
    assert f"skipped 1 × {HK_SKIPPED}" in result.output
    with DeepSeekStandin() as deepseek:
        llm = LlmSettings(base_url=deepseek.base_url, decisions=str(tmp_path / "decisions"), backoff_s=0.001)
        stage = build_route_stage(Settings(data=data, runs=tmp_path / "runs", llm=llm))
        (out,) = stage.handle(build_event(_signal("600000.SH"), run_id="run-1", source="/test"))
    routed = out.payload
    assert isinstance(routed, SignalRouted)
    prompts = [r.body["messages"][1]["content"] for r in deepseek.requests]
    assert prompts and all("period ending 20231231" not in p for p in prompts)  # announced on DAY: not yet public
    assert any("period ending 20240331" in p and '"roe": 2.3145' in p for p in prompts)  # the fundamental expert
    llm_opinions = [o for o in routed.opinions if o.model is not None]
    assert llm_opinions and all(o.outcome == "ok" for o in llm_opinions)  # grounded in the fetched items


def test_cli_data_evidence_when_no_token_then_exit_2_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPHAMOE_DATA_SOURCE__TOKEN", raising=False)

    result = CliRunner().invoke(app, ["data", "evidence", "--since", "2024-05-03", "--data", str(tmp_path)])

    assert result.exit_code == 2
    assert "ALPHAMOE_DATA_SOURCE__TOKEN" in result.output
    assert not (tmp_path / "evidence").exists()
