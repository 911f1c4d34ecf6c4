"""The decision record on a folder and on real Redis: calls by key, route trails, the spending ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.decisions import CallRecord, DecisionStore, RouteTrail, call_key, open_store
from alphamoe.decisions.folder import FolderDecisionStore
from alphamoe.errors import DataError
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.llm.budget import Usage
from alphamoe.llm.client import Attempt
from alphamoe.types import Verdict

DAY = date(2024, 5, 6)


def _record(expert: str = "fundamental", input_hash: str = "i" * 64) -> CallRecord:
    key = call_key(expert, "deepseek-reasoner", "p" * 64, input_hash)
    return CallRecord(
        key=key,
        expert=expert,
        model="deepseek-reasoner",
        prompt_hash="p" * 64,
        input_hash=input_hash,
        trading_day=DAY,
        signal_id="sig-1",
        symbol="600519.SH",
        prompt="<evidence>{}</evidence>",
        response='{"verdict": "confirm", "confidence": 0.7, "reasons": ["ok"]}',
        reasoning="I think, therefore I confirm.",
        usage=Usage(prompt_tokens=500, completion_tokens=60, cache_hit_tokens=128, reasoning_tokens=30),
        cost_cny=Decimal("0.002388"),
        latency_ms=20_000.5,
        attempts=(Attempt(status="429", latency_ms=3.0), Attempt(status="ok", latency_ms=19_997.5)),
        outcome="ok",
        verdict=Verdict.CONFIRM,
        confidence=0.7,
        reasons=("ok",),
        recorded_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    )


def _trail(run_id: str, signal: SignalGenerated) -> RouteTrail:
    routed = SignalRouted(
        trading_day=signal.trading_day,
        signal=signal,
        verdict=Verdict.ABSTAIN,
        confidence=0.0,
        gate=(),
        opinions=(),
        reasoning_summary="abstain 0.00 (no expert selected) — none",
    )
    return RouteTrail(run_id=run_id, routed=routed, recorded_at=datetime(2026, 3, 2, tzinfo=UTC))


@pytest.fixture(params=["folder", pytest.param("redis", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DecisionStore:
    if request.param == "folder":
        return open_store(tmp_path / "decisions")
    return open_store(request.getfixturevalue("redis_url"))


def test_call_key_when_any_part_changes_then_key_changes() -> None:
    base = call_key("fundamental", "deepseek-reasoner", "p", "i")

    assert base == call_key("fundamental", "deepseek-reasoner", "p", "i")
    assert len({base, *(call_key(*parts) for parts in [("sector", "deepseek-reasoner", "p", "i"),
                ("fundamental", "deepseek-chat", "p", "i"), ("fundamental", "deepseek-reasoner", "q", "i"),
                ("fundamental", "deepseek-reasoner", "p", "j")])}) == 5  # fmt: skip


def test_store_when_call_put_then_read_back_equal(store: DecisionStore) -> None:
    record = _record()
    assert store.get_call(record.key) is None

    store.put_call(record)

    assert store.get_call(record.key) == record


def test_store_when_route_put_then_found_by_run_and_symbol(
    store: DecisionStore, make_signal: Callable[..., SignalGenerated]
) -> None:
    store.put_route(_trail("20240506-abc", make_signal(symbol="600519.SH")))
    store.put_route(_trail("20240506-abc", make_signal("s2", symbol="000001.SZ")))

    found = store.get_route("20240506-abc", "600519.SH")

    assert found is not None and found.routed.signal.symbol == "600519.SH"
    assert store.route_symbols("20240506-abc") == ["000001.SZ", "600519.SH"]


def test_store_when_routes_of_several_runs_then_route_runs_lists_each_once(
    store: DecisionStore, make_signal: Callable[..., SignalGenerated]
) -> None:
    store.put_route(_trail("20240507-def", make_signal(symbol="600519.SH")))
    store.put_route(_trail("20240506-abc", make_signal(symbol="600519.SH")))
    store.put_route(_trail("20240506-abc", make_signal("s2", symbol="000001.SZ")))

    assert store.route_runs() == ["20240506-abc", "20240507-def"]  # the track records read every recorded day
    assert store.get_route("other-run", "600519.SH") is None


def test_store_when_spend_added_then_summed_exactly_per_day(store: DecisionStore) -> None:
    store.add_spend(DAY, 100, Decimal("0.000001"))
    store.add_spend(DAY, 50, Decimal("0.002492"))

    assert store.spend(DAY) == (150, Decimal("0.002493"))
    assert store.spend(date(2024, 5, 7)) == (0, Decimal(0))


def test_store_when_refusals_added_then_counted_per_reason_and_day(store: DecisionStore) -> None:
    for code in ("misquote", "cites_nothing", "misquote"):
        store.add_refusal(DAY, code)

    assert store.refusals(DAY) == {"cites_nothing": 1, "misquote": 2}
    assert store.refusals(date(2024, 5, 7)) == {}


def test_store_when_call_has_citations_and_refusal_then_read_back_equal(store: DecisionStore) -> None:
    record = CallRecord.model_validate(
        {
            **_record().model_dump(),
            "about": "000001.SZ",
            "citations": [{"evidence_id": "ev-0123456789abcdef", "field": "roe", "value": 12.3}],
            "refusal": {"code": "other_company", "reason": "the answer is about 000001.SZ, not 600519.SH"},
        }
    )

    store.put_call(record)

    assert store.get_call(record.key) == record


def test_folder_store_when_run_id_has_path_parts_then_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot name a file"):
        FolderDecisionStore(tmp_path).get_route("../etc", "600519.SH")
