"""The console under test: a stored day (report + account snapshot), several accounts' closes, a backtest
result, an LLM call's decision record, users with hashed passwords, sign-in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from alphamoe.backtest.metrics import compute_metrics
from alphamoe.backtest.result import BacktestResult, EquityPoint, TradeRecord
from alphamoe.console.app import Console, build_app
from alphamoe.console.auth import hash_password
from alphamoe.decisions import CallRecord, RouteTrail, call_key, open_store
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import ExpertOpinion, SignalGenerated, SignalRouted
from alphamoe.llm.budget import Usage
from alphamoe.llm.client import Attempt
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState
from alphamoe.report.day import FillRow, build_report
from alphamoe.report.endofday import EndOfDayReport, build_end_of_day
from alphamoe.report.store import ReportStore
from alphamoe.settings import Settings
from alphamoe.types import Board, ExpertKind, Side, Verdict
from support.report_day import CLOSING, OPENING, RUN, day_events

DAY_BEFORE = date(2025, 3, 28)  # the session before the hand-made day (a Friday)

PASSWORDS = {"ann": "operator-pass-1", "bob": "viewer-pass-1"}
KEY = b"k" * 32


def users() -> dict[str, Any]:
    """Ann the operator, Bob the viewer: as ALPHAMOE_CONSOLE__USERS would give them."""
    return {
        "ann": {"role": "operator", "password_hash": hash_password(PASSWORDS["ann"])},
        "bob": {"role": "viewer", "password_hash": hash_password(PASSWORDS["bob"])},
    }


def hand_day_report() -> EndOfDayReport:
    events = day_events()
    day = build_report(events, CLOSING, run_id=RUN, calendar="XSHG", stage_ms={})
    return build_end_of_day(day, events, opening=OPENING, latency=[], source="in-process")


def store_hand_day(runs: Path) -> EndOfDayReport:
    """Store the hand-made day's report and the account's close under `runs` (reports/, accounts/)."""
    report = hand_day_report()
    ReportStore.open(runs / "reports").save(report)
    AccountBook(runs / "accounts", "paper", Decimal("1000000")).save_close(CLOSING)
    return report


def big_day_report(day: date, signals: int) -> EndOfDayReport:
    """A day with `signals` signals, each routed with two experts' reasons (a 5,500-stock market's worst case)."""
    events = []
    for rank in range(signals):
        symbol = f"{600000 + rank:06d}.SH" if rank < 4000 else f"{rank - 4000:06d}.SZ"
        s = SignalGenerated(
            trading_day=day, signal_id=f"{day}:tb:{symbol}", symbol=symbol, board=Board.MAIN, strategy="tb",
            rank=rank, score=1.0, reference_price=Decimal("10.00"), prev_close=Decimal("10.00"), features={},
            p_win=0.55, payoff=1.5, n_trades=40,
        )  # fmt: skip
        opinions = (
            ExpertOpinion(expert="trend", kind=ExpertKind.SYMBOLIC, verdict=Verdict.CONFIRM, confidence=0.7,
                          reasoning="MA5 above MA20: trend intact"),
            ExpertOpinion(expert="risk_skeptic", kind=ExpertKind.SYMBOLIC, verdict=Verdict.ABSTAIN, confidence=0.5,
                          reasoning="RSI(14) 61 below 80"),
        )  # fmt: skip
        routed = SignalRouted(
            trading_day=day, signal=s, verdict=Verdict.CONFIRM, confidence=0.7, gate=(), opinions=opinions,
            reasoning_summary="confirm: trend",
        )  # fmt: skip
        events += [build_event(s, run_id="big", source="/scan"), build_event(routed, run_id="big", source="/route")]
    closing = CLOSING.model_copy(update={"trading_day": day})
    report = build_report(events, closing, run_id="big", calendar="XSHG", stage_ms={})
    return build_end_of_day(report, events, opening=OPENING, latency=[], source="in-process")


def store_llm_call(runs: Path, run_id: str, signal: SignalGenerated, reasoning: str) -> str:
    """Record one LLM expert's call on `signal` (with its `reasoning_content`) and the route trail naming it,
    as the route function does, in the decision store the console reads (`runs/decisions`); return its key."""
    key = call_key("fundamental", "deepseek-reasoner", "p" * 64, "i" * 64)
    call = CallRecord(
        key=key, expert="fundamental", model="deepseek-reasoner", prompt_hash="p" * 64, input_hash="i" * 64,
        trading_day=signal.trading_day, signal_id=signal.signal_id, symbol=signal.symbol, prompt="<evidence/>",
        response='{"verdict": "veto", "confidence": 0.8, "reasons": ["receivables up 40%"]}', reasoning=reasoning,
        usage=Usage(prompt_tokens=500, completion_tokens=60), cost_cny=Decimal("0.002"), latency_ms=900.0,
        attempts=(Attempt(status="ok", latency_ms=900.0),), outcome="ok", verdict=Verdict.VETO, confidence=0.8,
        reasons=("receivables up 40%",), recorded_at=datetime(2025, 3, 31, 2, 0, tzinfo=UTC),
    )  # fmt: skip
    opinion = ExpertOpinion(expert="fundamental", kind=ExpertKind.LLM, verdict=Verdict.VETO, confidence=0.8,
                            reasoning="receivables up 40%", model="deepseek-reasoner", call_key=key)  # fmt: skip
    routed = SignalRouted(trading_day=signal.trading_day, signal=signal, verdict=Verdict.VETO, confidence=0.8,
                          gate=(), opinions=(opinion,), reasoning_summary="veto: fundamental")  # fmt: skip
    store = open_store(runs / "decisions")
    store.put_call(call)
    store.put_route(RouteTrail(run_id=run_id, routed=routed, recorded_at=call.recorded_at))
    return key


def store_backtest(folder: Path) -> BacktestResult:
    """Write a routed backtest's result as `alphamoe backtest --report DIR` does (DIR/result.json): one confirmed
    buy of 600519.SH on 2024-03-04, sold 2024-03-06 on its exit signal."""
    days = [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)]
    equity = [
        EquityPoint(day=d, equity=v, cash=50.0, exposure=0.5) for d, v in zip(days, (100.0, 101.0, 102.0), strict=True)
    ]
    trades = [
        TradeRecord(symbol="600519.SH", side=Side.BUY, day=days[0], quantity=100, price=Decimal("1700.00"),
                    fees=Decimal("5"), order_id="b1", why="confirm 0.70: trend, liquidity"),
        TradeRecord(symbol="600519.SH", side=Side.SELL, day=days[2], quantity=100, price=Decimal("1720.00"),
                    fees=Decimal("6"), order_id="s1", why="exit: close below MA10"),
    ]  # fmt: skip
    result = BacktestResult(
        engine="vectorbt", strategy="tb", params={}, start=days[0], end=days[-1], sessions=3, universe=1,
        initial_cash=Decimal("100"), final_equity=102.0, metrics=compute_metrics(equity, trades, 100.0),
        trades=trades, equity=equity, route="symbolic", verdicts={"confirm": 1, "veto": 4},
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
    return result


ACCOUNTS = [{"id": "acct-a", "capital": "1000000"}, {"id": "acct-b", "adapter": "paper", "capital": "500000"}]
"""Two accounts as ALPHAMOE_ACCOUNTS gives them (JSON), with their own capital."""


def store_two_accounts(runs: Path) -> dict[str, Decimal]:
    """Close two days for each of ACCOUNTS, as `pipeline.several` writes them: the snapshots under
    runs/accounts/<id>/ and each day's report under runs/<day>/accounts/<id>/report.json, one fill a day
    (fees 5 for acct-a, 3 for acct-b); return each account's fees over the two days."""
    template = hand_day_report().day
    fees = {}
    for account, cash, fee in (("acct-a", "990000", "5"), ("acct-b", "480000", "3")):
        book = AccountBook(runs / "accounts", account, Decimal(cash))
        for day, last in ((DAY_BEFORE, "100"), (template.trading_day, "105")):
            held = CLOSING.positions[0].model_copy(update={"last_price": Decimal(last)})
            book.save_close(AccountState(account_id=account, trading_day=day, cash=Decimal(cash), positions=(held,)))
            fill = FillRow(client_order_id=f"{account}-{day}", symbol="600519.SH", side=Side.BUY, quantity=100,
                           price=Decimal("100"), fees=Decimal(fee))  # fmt: skip
            report = template.model_copy(update={"trading_day": day, "fills": [fill]})
            folder = runs / day.isoformat() / "accounts" / account
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "report.json").write_text(report.model_dump_json(), encoding="utf-8")
        fees[account] = Decimal(fee) * 2
    return fees


def console_app(
    runs: Path, redis_url: str | None, accounts: str | None = None, **console: Any
) -> tuple[Console, TestClient]:
    settings = Settings(runs=runs, data=runs / "no-bars", redis_url=redis_url, accounts=accounts, console=console)
    served, app = build_app(settings, key=KEY)
    return served, TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def sign_in(client: TestClient, user: str, password: str | None = None) -> Any:
    return client.post("/login", data={"user": user, "password": password or PASSWORDS[user]})


def csrf_of(page: str) -> str:
    marker = 'name="csrf" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]
