"""Issue 16 item 5 in the cluster: with a live source (xtdata) execute follows the session on a feed thread.

An order approved mid-session fills only on the quotes after it (its tape starts at its placement), and an
execute restarted mid-session resumes the feed and the open orders' tapes: the same fills as without the
restart. The exchange is a stand-in driven by the test (support.xtdata_live) behind the real XtdataQuotes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import sleep
from typing import Any

from support.approvals import approved
from support.broker_day import DAY
from support.keys import APPROVAL_SECRET as SECRET
from support.xtdata_live import LiveXtdata

from alphamoe.broker.journal import MemoryJournal
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, MarketOpen, OrderProposed, event_type_of
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.run import SUBSCRIPTIONS
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.quotes.model import Quote
from alphamoe.quotes.replay import EXCHANGE_TZ
from alphamoe.quotes.tapes import MemoryTapeBook, TapeBook
from alphamoe.quotes.xtdata import XtdataQuotes
from alphamoe.types import OrderStatus, Side

SYMBOL = "600000.SH"
EXPIRY = datetime.now(UTC) + timedelta(hours=1)


def tick(at: time, last: str, high: str, low: str, volume: int) -> Quote:
    return Quote(
        symbol=SYMBOL, time=datetime.combine(DAY, at, EXCHANGE_TZ), last=Decimal(last), open=Decimal("10.10"),
        high=Decimal(high), low=Decimal(low), last_close=Decimal("10.00"), volume=volume,
        amount=Decimal(last) * volume,
    )  # fmt: skip


MORNING = [
    tick(time(9, 25), "10.10", "10.10", "10.10", 50_000),  # the auction print
    tick(time(9, 40), "9.95", "10.10", "9.95", 200_000),
    tick(time(10, 0), "10.00", "10.10", "9.95", 300_000),
]
LATER = [
    tick(time(10, 30), "10.30", "10.30", "9.95", 400_000),
    tick(time(11, 0), "10.20", "10.30", "9.95", 500_000),
    tick(time(14, 57), "10.20", "10.30", "9.95", 600_000),
]


def order(n: int, quantity: int, limit: str) -> Envelope[Any]:
    proposed = OrderProposed(
        trading_day=DAY, order_id=f"{DAY}:acc:{SYMBOL}:BUY:{n}", account_id="acc", symbol=SYMBOL, side=Side.BUY,
        quantity=quantity, limit_price=Decimal(limit), reference_price=Decimal(limit), target_weight=0.01,
        kelly_fraction=0.1,
    )  # fmt: skip
    return build_event(approved(proposed, expires_at=EXPIRY), run_id="run", source="/alphamoe/risk")


AT_OPEN = order(0, 500, "10.20")  # before the first print: joins the auction
MID_SESSION = order(1, 1000, "10.40")  # after 10:00: the day so far (open 10.10) is not its session


class Session:
    """One exchange, one journal, one tape book; execute processes come and go on them."""

    def __init__(self, store: BarStore, root: Path, tapes: TapeBook | None = None) -> None:
        self.store, self.root = store, root
        self.xt, self.journal, self.tapes = LiveXtdata(), MemoryJournal(), tapes or MemoryTapeBook()

    def process(self, tapes: TapeBook | None = None) -> ExecuteStage:
        stage = ExecuteStage(MarketData(self.store), AccountBook(self.root, "acc", Decimal("1000000")), SECRET,
                             CommissionSchedule(), journal=self.journal, tapes=tapes or self.tapes)  # fmt: skip
        stage.quotes = XtdataQuotes(self.xt, now=self.xt.now, poll_s=0.02)
        stage.follow_live = True  # as pipeline.factory builds the function's stage
        return stage

    def push(self, stage: ExecuteStage, quotes: list[Quote]) -> None:
        wait(lambda: self.xt.subscribers == 1)  # the feed thread has subscribed
        for quote in quotes:
            self.xt.push(quote)
        feed = stage.feed(DAY)
        assert feed is not None and feed.wait_until(quotes[-1].time), "the feed did not deliver"

    def fills(self, n: int) -> list[tuple[int, Decimal]]:
        record = self.journal.records(DAY)[n]
        return [(f.quantity, f.price) for f in record.fills]

    def outcome(self) -> tuple[object, ...]:
        records = [r.model_dump(exclude={"session_id", "announced"}) for r in self.journal.records(DAY)]
        return records, self.journal.closing(DAY)


def wait(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout_s)
    while not condition():
        assert datetime.now(UTC) < deadline, "timed out"
        sleep(0.005)


def close(session: Session, stage: ExecuteStage) -> None:
    session.xt.close(datetime.combine(DAY, time(15, 5), EXCHANGE_TZ))
    stage.handle(build_event(MarketClose(trading_day=DAY, account_id="acc"), run_id="run", source="/test"))
    stage.stop()


def trade(session: Session, *, restart: bool, restarted_tapes: TapeBook | None = None, missed: int = 0) -> ExecuteStage:
    """The day; with `restart`, execute dies after the mid-session order while the first `missed` LATER print."""
    stage = session.process()
    stage.start()
    stage.handle(AT_OPEN)  # the day's first approval starts the feed
    session.push(stage, MORNING)
    assert session.fills(0) == [(500, Decimal("10.10"))]  # at the auction print
    stage.handle(MID_SESSION)
    assert session.journal.records(DAY)[1].status is OrderStatus.ACCEPTED  # the morning's 10.10 is not its tape
    if restart:
        stage.stop()  # the process dies mid-session; the exchange goes on without it
        wait(lambda: session.xt.subscribers == 0)
        for quote in LATER[:missed]:
            session.xt.push(quote)
        stage = session.process(restarted_tapes)
        stage.start()  # resumes the feed: the journal has an open order today
    later = LATER[missed:]
    session.push(stage, later[:1])
    if restarted_tapes is None:
        assert session.fills(1) == [(1000, Decimal("10.30"))]  # at the first print after it was placed
    if later[1:]:
        session.push(stage, later[1:])
    close(session, stage)
    return stage


def test_live_feed_when_order_approved_mid_session_then_fills_only_on_later_quotes(
    store: BarStore, tmp_path: Path
) -> None:
    session = Session(store, tmp_path)

    stage = trade(session, restart=False)

    closed = stage.closing(DAY)
    assert {p.symbol: (p.quantity, p.last_price) for p in closed.positions} == {SYMBOL: (1500, Decimal("10.20"))}
    assert session.xt.subscribers == 0  # market.close stopped the feed


def test_live_feed_when_execute_restarted_mid_session_then_same_fills_as_without(
    store: BarStore, tmp_path: Path
) -> None:
    straight, restarted = Session(store, tmp_path / "a"), Session(store, tmp_path / "b")
    trade(straight, restart=False)

    trade(restarted, restart=True)

    assert restarted.outcome() == straight.outcome()


def test_live_feed_when_restarted_without_the_tapes_then_the_mid_session_order_sees_the_day_so_far(
    store: BarStore, tmp_path: Path
) -> None:
    session = Session(store, tmp_path)

    trade(session, restart=True, restarted_tapes=MemoryTapeBook())  # what a restart did before tapes were kept

    assert session.fills(1) == [(1000, Decimal("10.10"))]  # the day's open: a price from before it was placed


def test_factory_when_quotes_xtdata_then_the_function_follows_and_the_in_process_run_does_not(
    store: BarStore, tmp_path: Path
) -> None:
    from alphamoe.pipeline.factory import build_stage, build_stages
    from alphamoe.pipeline.run import with_event_key
    from alphamoe.quotes.config import QuoteSettings
    from alphamoe.router.config import RouteSettings
    from alphamoe.settings import Settings

    settings = with_event_key(
        Settings(data=store.root, runs=tmp_path, approval_secret=SECRET.decode(), route=RouteSettings(mode="none"),
                 quotes=QuoteSettings(source="xtdata"))
    )  # fmt: skip
    function = build_stage("execute", settings, secret=SECRET)
    assert isinstance(function, ExecuteStage) and function.follow_live and isinstance(function.quotes, XtdataQuotes)
    assert not build_stages(settings, secret=SECRET).execute.follow_live


def test_live_feed_when_market_open_then_it_follows_the_session_before_any_approval(
    store: BarStore, tmp_path: Path
) -> None:
    session = Session(store, tmp_path)
    stage = session.process()
    stage.start()

    opened = stage.handle(build_event(MarketOpen(trading_day=DAY, account_id="acc"), run_id="run", source="/t"))
    session.push(stage, MORNING)  # heard by the feed the open started: no order yet

    assert opened == [] and event_type_of(MarketOpen) in SUBSCRIPTIONS["execute"]
    feed = stage.feed(DAY)
    assert feed is not None and feed.delivered == len(MORNING)
    stage.handle(MID_SESSION)
    session.push(stage, LATER[:1])
    assert session.fills(0) == [(1000, Decimal("10.30"))]  # the first print after it was placed
    close(session, stage)


def test_live_feed_when_execute_was_down_while_quotes_came_then_the_restart_refills_them_from_history(
    store: BarStore, tmp_path: Path
) -> None:
    straight, restarted = Session(store, tmp_path / "a"), Session(store, tmp_path / "b")
    trade(straight, restart=False)

    trade(restarted, restart=True, missed=2)  # down while 10:30 and 11:00 print: 10:30 is the order's fill

    assert restarted.outcome() == straight.outcome()
