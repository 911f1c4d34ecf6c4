"""What each console page shows, read through the project's own readers: the report store (report/), the
account snapshots (pipeline/accounts.py), the streams' progress (bus/progress.py), the kill switch
(risk/switch.py), the clutch (broker/clutch.py), the clock (clock/schedule.py) and the LLM spend (decisions/).

Nothing here parses a file a second way; every reader that needs Redis says so when Redis does not answer.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import redis
from pydantic import ValidationError

from alphamoe.broker.clutch import ClutchStatus, RedisClutch
from alphamoe.bus.progress import GroupProgress, progress
from alphamoe.bus.redis import DLQ, DLQ_BYTES, DeadLetterEntry, RedisBus
from alphamoe.errors import AlphamoeError
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.factory import STAGE_NAMES
from alphamoe.portfolio import AccountState
from alphamoe.report.day import DayReport, FillRow
from alphamoe.report.endofday import EndOfDayReport
from alphamoe.report.store import ReportStore
from alphamoe.report.today import TodayView, today_view
from alphamoe.risk.state import TradingStatus
from alphamoe.risk.switch import RedisSwitch
from alphamoe.security.redact import redact
from alphamoe.settings import Settings
from alphamoe.types import Side

if TYPE_CHECKING:
    from alphamoe.accounts.config import AccountConfig
    from alphamoe.backtest.result import BacktestResult

T = TypeVar("T")
_REPORT_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})/runs/(.+)\.json$")


class RedisDownError(AlphamoeError):
    """Redis did not answer: the page says so instead of failing."""


@dataclass(frozen=True)
class StageRow:
    stage: str
    streams: int
    length: int
    lag: int
    pending: int

    @property
    def done(self) -> int:
        return max(self.length - self.lag - self.pending, 0)

    @property
    def state(self) -> str:
        if self.length == 0:
            return "idle"
        return "settled" if self.lag == 0 and self.pending == 0 else "working"


def stage_rows(groups: list[GroupProgress]) -> list[StageRow]:
    """Fold each consumer group (one per function and stream it reads) into one row per pipeline stage."""
    rows = []
    for stage in STAGE_NAMES:
        mine = [g for g in groups if g.group == stage]
        rows.append(
            StageRow(
                stage,
                len(mine),
                sum(g.length for g in mine),
                sum(g.lag for g in mine),
                sum(g.pending for g in mine),
            )
        )
    return rows


@dataclass(frozen=True)
class PositionView:
    symbol: str
    name: str
    quantity: int
    sellable: int
    cost: Decimal
    last_price: Decimal

    @property
    def held_t1(self) -> int:
        return self.quantity - self.sellable

    @property
    def market_value(self) -> Decimal:
        return self.last_price * self.quantity

    @property
    def pnl(self) -> Decimal:
        return self.market_value - self.cost

    @property
    def average_cost(self) -> Decimal:
        return (self.cost / self.quantity).quantize(Decimal("0.001")) if self.quantity else Decimal("0")


@dataclass(frozen=True)
class AccountView:
    account_id: str
    state: AccountState
    positions: list[PositionView]
    equity_curve: list[tuple[date, Decimal]]
    benchmark_curve: list[tuple[date, Decimal]] = field(default_factory=list)
    fees: Decimal | None = None
    turnover: Decimal | None = None

    capital: Decimal | None = None

    @property
    def drawdown(self) -> Decimal:
        return drawdown(self.equity_curve)

    @property
    def season_return(self) -> Decimal | None:
        return season_return(self.equity_curve)


def drawdown(curve: list[tuple[date, Decimal]]) -> Decimal:
    """The deepest fall from a peak over the season, as a fraction of that peak."""
    peak, worst = Decimal("0"), Decimal("0")
    for _, equity in curve:
        peak = max(peak, equity)
        if peak > 0:
            worst = max(worst, (peak - equity) / peak)
    return worst.quantize(Decimal("0.0001"))


def season_return(curve: list[tuple[date, Decimal]]) -> Decimal | None:
    if len(curve) < 2 or not curve[0][1]:
        return None
    return (curve[-1][1] / curve[0][1] - 1).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class CombinedView:
    """Every account together: equity and cash summed day by day, fees and turnover over all of them."""

    accounts: list[AccountView]
    equity_curve: list[tuple[date, Decimal]]
    fees: Decimal | None
    turnover: Decimal | None

    @property
    def equity(self) -> Decimal:
        return sum((a.state.equity for a in self.accounts), Decimal("0"))

    @property
    def cash(self) -> Decimal:
        return sum((a.state.cash for a in self.accounts), Decimal("0"))

    @property
    def drawdown(self) -> Decimal:
        return drawdown(self.equity_curve)

    @property
    def season_return(self) -> Decimal | None:
        return season_return(self.equity_curve)


def combined(views: list[AccountView], traded: Decimal | None) -> CombinedView:
    """Sum the accounts' closes on the days all of them closed (one account's gap leaves the day out)."""
    days = set.intersection(*({d for d, _ in v.equity_curve} for v in views)) if views else set()
    curve = [(d, sum((dict(v.equity_curve)[d] for v in views), Decimal("0"))) for d in sorted(days)]
    known = [v.fees for v in views if v.fees is not None]
    fees = sum(known, Decimal("0")) if known else None
    mean = sum((e for _, e in curve), Decimal("0")) / len(curve) if curve else Decimal("0")
    turnover = (traded / mean).quantize(Decimal("0.0001")) if traded is not None and mean else None
    return CombinedView(views, curve, fees, turnover)


@dataclass(frozen=True)
class RunRef:
    day: date
    run_id: str
    key: str


class ConsoleData:
    """The console's view of one deployment: its settings, its Redis (when any) and its folders."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        from alphamoe.clock.wiring import report_location

        self.reports = ReportStore.open(report_location(settings))
        self.accounts_root = settings.runs_dir / "accounts"
        self._client: redis.Redis | None = None
        self._reports: dict[str, tuple[int, EndOfDayReport]] = {}
        self._views: dict[str, tuple[int, TodayView]] = {}
        self._backtests: dict[Path, tuple[tuple[int, int], BacktestResult | None]] = {}
        self._day_fills: dict[Path, tuple[tuple[int, int], list[FillRow]]] = {}
        self._names: dict[date, dict[str, str]] = {}
        self._lock = threading.Lock()

    # -- Redis ---------------------------------------------------------------------------------------
    @property
    def redis_where(self) -> str:
        return redact(self.settings.redis_url) if self.settings.redis_url else "(no Redis configured)"

    def client(self) -> redis.Redis:
        if not self.settings.redis_url:
            raise RedisDownError("no Redis configured (ALPHAMOE_REDIS_URL, or start the local cluster)")
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.settings.redis_url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2
            )
        return self._client

    def with_redis(self, read: Callable[[redis.Redis], T]) -> T:
        """Run `read` on the Redis client; raise RedisDownError naming the (masked) URL and the error."""
        try:
            return read(self.client())
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise RedisDownError(f"Redis at {self.redis_where} does not answer: {exc}") from None

    def stages(self) -> list[StageRow]:
        return stage_rows(self.with_redis(lambda c: progress(c, count_lag=True)))

    def dead_letters(self) -> list[DeadLetterEntry]:
        return self.with_redis(lambda c: RedisBus(c).dead_letters(200))

    def trading_status(self, account_id: str) -> TradingStatus:
        return self.with_redis(lambda c: RedisSwitch(c).status(account_id))

    def clutch_status(self, account_id: str) -> ClutchStatus:
        return self.with_redis(lambda c: RedisClutch(c).status(account_id))

    def requeue(self, entry_id: str) -> str:
        """Put a bridge dead letter back on the stream it came from (a new entry) and drop it; return the stream."""

        def move(client: redis.Redis) -> str:
            rows: list[tuple[str, dict[str, str]]] = client.xrange(DLQ, min=entry_id, max=entry_id)  # type: ignore[assignment]
            if not rows:
                raise AlphamoeError(f"dead letter {entry_id} not found (already requeued or discarded?)")
            raw = RedisBus(client).dead_letters(10_000)
            entry = next(d for d in raw if d.entry_id == entry_id)
            stream, fields = entry.raw.get("stream"), entry.raw.get("fields")
            if not isinstance(stream, str) or not isinstance(fields, dict):
                raise AlphamoeError(f"dead letter {entry_id} from {entry.source!r} names no stream to requeue to")
            client.xadd(stream, fields)
            self._drop(client, entry_id, rows[0][1])
            return stream

        return self.with_redis(move)

    def discard(self, entry_id: str) -> None:
        def drop(client: redis.Redis) -> None:
            rows: list[tuple[str, dict[str, str]]] = client.xrange(DLQ, min=entry_id, max=entry_id)  # type: ignore[assignment]
            if not rows:
                raise AlphamoeError(f"dead letter {entry_id} not found (already requeued or discarded?)")
            self._drop(client, entry_id, rows[0][1])

        self.with_redis(drop)

    @staticmethod
    def _drop(client: redis.Redis, entry_id: str, fields: dict[str, str]) -> None:
        pipe = client.pipeline(transaction=True)
        pipe.xdel(DLQ, entry_id)
        if fields.get("bytes", "").isdigit():
            pipe.decrby(DLQ_BYTES, int(fields["bytes"]))  # the dead-letter cap counts what is still held
        pipe.execute()

    # -- reports -------------------------------------------------------------------------------------
    def runs(self) -> list[RunRef]:
        """Every stored run, latest day first."""
        found = []
        for key in self.reports.store.list():
            match = _REPORT_KEY.match(key)
            if match:
                found.append(RunRef(date.fromisoformat(match[1]), match[2], key))
        return sorted(found, key=lambda r: (r.day, r.key), reverse=True)

    def report(self, day: date | None = None, run_id: str | None = None) -> EndOfDayReport | None:
        """Return a day's latest report (or one run's), the latest day's when `day` is None; None if none."""
        return self._cached_load(day, run_id, self._reports, self.reports.load)

    def today(self, day: date | None = None, run_id: str | None = None, every_row: bool = False) -> TodayView | None:
        """Return the Today view of a day's latest report (or one run's), the latest day's when `day` is None.

        The stored view (a few hundred rows) is read, not the whole report; `every_row` cuts it from the report.
        """
        if every_row:
            report = self.report(day, run_id)
            return today_view(report, rows=None) if report is not None else None
        return self._cached_load(day, run_id, self._views, self.reports.load_today)

    def _cached_load(
        self,
        day: date | None,
        run_id: str | None,
        cache: dict[str, tuple[int, T]],
        load: Callable[[date, str | None], T],
    ) -> T | None:
        """Load a day's stored run (the latest day's when `day` is None) through `cache`; None if none.

        The cache is keyed by the stored file and its size, so a run rewritten in place is read again.
        """
        if day is None:
            runs = self.runs()
            if not runs:
                return None
            day = runs[0].day
        key = f"{day.isoformat()}/runs/{run_id}.json" if run_id else f"{day.isoformat()}/end_of_day.json"
        if not self.reports.store.exists(key):
            return None
        size = self.reports.store.size(key)
        with self._lock:
            cached = cache.get(key)
        if cached is not None and cached[0] == size:
            return cached[1]
        loaded = load(day, run_id)
        with self._lock:
            cache[key] = (size, loaded)
        return loaded

    # -- backtests -----------------------------------------------------------------------------------
    @property
    def backtest_dirs(self) -> list[Path]:
        return self.settings.console.backtests or [self.settings.runs_dir / "backtests"]

    def backtests(self) -> list[tuple[str, BacktestResult]]:
        """Every backtest result under the backtest folders as (file relative to its folder, result), by name.

        A JSON file that is not a backtest result (another tool's, a truncated write) is passed over.
        """
        found = []
        for folder in self.backtest_dirs:
            for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
                result = self._backtest(path)
                if result is not None:
                    found.append((str(path.relative_to(folder)), result))
        return found

    def _backtest(self, path: Path) -> BacktestResult | None:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._backtests.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        from alphamoe.backtest.result import BacktestResult  # 0.4 s of imports: only when History is searched

        try:
            result: BacktestResult | None = BacktestResult.model_validate_json(path.read_bytes())
        except ValidationError:
            result = None
        with self._lock:
            self._backtests[path] = (stamp, result)
        return result

    # -- names ---------------------------------------------------------------------------------------
    def names(self, day: date) -> dict[str, str]:
        """Return each stock's name on `day` (Chinese on real data, with its ST/N prefixes); {} without bars."""
        with self._lock:
            if day in self._names:
                return self._names[day]
        try:
            from alphamoe.market.bars import BarStore

            frame = BarStore(self.settings.data).frame(day, day, ["symbol", "name"])
            found = dict(zip(frame["symbol"].astype(str), frame["name"].astype(str), strict=True))
        except (AlphamoeError, OSError, KeyError, ValueError):
            found = {}
        with self._lock:
            self._names[day] = found
        return found

    # -- accounts ------------------------------------------------------------------------------------
    def configured_accounts(self) -> list[AccountConfig]:
        """The accounts of ALPHAMOE_ACCOUNTS (in their order), else the deployment's one.

        Parsed, not checked: the console holds no broker credentials, so a secret not set here is no fault.
        """
        from alphamoe.accounts.config import default_account, parse_accounts

        return parse_accounts(self.settings.accounts) if self.settings.accounts else [default_account(self.settings)]

    def account_ids(self) -> list[str]:
        """The configured accounts first, then any other account with closes on disk."""
        configured = [a.id for a in self.configured_accounts()]
        found = {p.name for p in self.accounts_root.iterdir() if p.is_dir()} if self.accounts_root.is_dir() else set()
        return configured + sorted(found - set(configured))

    def account(self, account_id: str, capital: Decimal | None = None) -> AccountView | None:
        """Return an account's latest close, its season, its fees and turnover (from its day reports) and the
        benchmark rebased to its first close (from the end-of-day reports that carry one)."""
        return self._account(account_id, capital)[0]

    def accounts(self) -> tuple[list[tuple[str, AccountView | None]], CombinedView]:
        """Each configured account's view (side by side) and all of them combined."""
        configured = {a.id: a.capital for a in self.configured_accounts()}
        views, traded, any_traded = [], Decimal("0"), False
        for account_id in self.account_ids():
            view, value = self._account(account_id, configured.get(account_id))
            views.append((account_id, view))
            if value is not None:
                traded, any_traded = traded + value, True
        return views, combined([v for _, v in views if v is not None], traded if any_traded else None)

    def _account(self, account_id: str, capital: Decimal | None) -> tuple[AccountView | None, Decimal | None]:
        book = AccountBook(self.accounts_root, account_id, capital or self.settings.initial_cash)
        snapshots = book.snapshots()
        if not snapshots:
            return None, None
        states = [book.read(path) for path in snapshots.values()]
        last = states[-1]
        names = self.names(last.trading_day)
        positions = [
            PositionView(p.symbol, names.get(p.symbol, ""), p.quantity, p.sellable, p.cost, p.last_price)
            for p in sorted(last.positions, key=lambda p: p.symbol)
            if p.quantity > 0
        ]
        curve = [(s.trading_day, s.equity) for s in states]
        days = [f for f in (self._fills(account_id, d) for d, _ in curve) if f is not None]
        fees = sum((f.fees for fills in days for f in fills), Decimal("0")) if days else None
        traded = sum((f.price * f.quantity for fills in days for f in fills), Decimal("0")) if days else None
        mean_equity = sum((e for _, e in curve), Decimal("0")) / len(curve)
        turnover = (traded / mean_equity).quantize(Decimal("0.0001")) if traded is not None and mean_equity else None
        level, bench = curve[0][1], []
        for day, _ in curve:
            view = self.today(day)
            if view is not None and view.performance.benchmark_return is not None:
                level = level * (1 + view.performance.benchmark_return)
                bench.append((day, level.quantize(Decimal("0.01"))))
        return AccountView(account_id, last, positions, curve, bench, fees, turnover, capital), traded

    def _fills(self, account_id: str, day: date) -> list[FillRow] | None:
        """An account's fills on `day`: its own day report (several accounts: <runs>/<day>/accounts/<id>/), else,
        for the deployment's account, the day's end-of-day report; None when no report says."""
        path = self.settings.runs_dir / day.isoformat() / "accounts" / account_id / "report.json"
        if path.is_file():
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            with self._lock:
                cached = self._day_fills.get(path)
            if cached is None or cached[0] != stamp:
                cached = (stamp, DayReport.model_validate_json(path.read_bytes()).fills)
                with self._lock:
                    self._day_fills[path] = cached
            return cached[1]
        if account_id != self.settings.account_id:
            return None
        view = self.today(day)
        if view is not None and len(view.fills) < view.fills_total:
            view = self.today(day, every_row=True)  # a day of more fills than the view keeps
        return view.fills if view is not None else None

    # -- the clock and the LLM budget ----------------------------------------------------------------
    def next_ticks(self, now: datetime | None = None, count: int = 3) -> list[tuple[str, str]]:
        from alphamoe.clock.schedule import next_tick

        at, found = now or datetime.now(UTC), []
        for _ in range(count):
            tick = next_tick(at, self.settings.clock)
            found.append((tick.kind.value, tick.at.isoformat(timespec="minutes")))
            at = tick.at
        return found

    def llm_spend(self, day: date) -> tuple[int, Decimal]:
        from alphamoe.decisions.store import decision_store

        return decision_store(self.settings).spend(day)

    @property
    def audit_path(self) -> Path:
        return self.settings.console.audit_log or self.settings.runs_dir / "console" / "audit.jsonl"


@dataclass(frozen=True)
class HistoryRow:
    """One History line: a run's verdict on a signal, or a backtest's trade."""

    day: date
    source: str
    """"run" or "backtest"."""
    run: str
    """The run id, or the backtest result's file (relative to its folder)."""
    symbol: str
    name: str
    verdict: str | None
    reasons: str
    order: str
    link: str = ""


def search_history(
    data: ConsoleData, *, day: str = "", symbol: str = "", verdict: str = "", limit: int = 500
) -> list[HistoryRow]:
    """Return the run verdicts, then the backtest trades, that match a day prefix, a symbol part and a verdict.

    A backtest keeps its vetoed and abstained picks as counts only, so its trades match "confirm" (a buy of
    a confirmed pick) and no other verdict; its sells have none.
    """
    rows: list[HistoryRow] = []
    for ref in data.runs():
        if day and not ref.day.isoformat().startswith(day):
            continue
        report = data.report(ref.day, ref.run_id)
        if report is None:
            continue
        names = data.names(ref.day)
        for v in report.verdicts:
            if symbol and symbol.upper() not in v.symbol and symbol not in names.get(v.symbol, ""):
                continue
            if verdict and (v.verdict is None or v.verdict.value.upper() != verdict.upper()):
                continue
            rows.append(HistoryRow(
                ref.day, "run", ref.run_id, v.symbol, names.get(v.symbol, ""),
                v.verdict.value if v.verdict else None, v.reasoning_summary, v.order,
                f"/today?day={ref.day}&run={ref.run_id}",
            ))  # fmt: skip
            if len(rows) >= limit:
                return rows
    by_name = bool(symbol) and not symbol.isascii()  # a Chinese name: read the day's names (bars), else skip that
    for label, result in data.backtests():
        for t in result.trades:
            if day and not t.day.isoformat().startswith(day):
                continue
            name = data.names(t.day).get(t.symbol, "") if by_name or not symbol else ""
            if symbol and symbol.upper() not in t.symbol and not (by_name and symbol in name):
                continue
            said = "confirm" if t.side is Side.BUY else None
            if verdict and said != verdict.lower():
                continue
            rows.append(HistoryRow(
                t.day, "backtest", label, t.symbol, name, said, t.why,
                f"{t.side.value.lower()} {t.quantity} @ {t.price} (fees {t.fees})",
            ))  # fmt: skip
            if len(rows) >= limit:
                return rows
    return rows


@dataclass(frozen=True)
class ReasoningView:
    expert: str
    model: str
    verdict: str
    response: str
    reasoning: str


def llm_reasoning(data: ConsoleData, run_id: str, symbol: str) -> list[ReasoningView]:
    """Return each LLM expert's answer and chain of thought (`reasoning_content`) on one signal of one run."""
    from alphamoe.decisions.store import decision_store

    store = decision_store(data.settings)
    trail = store.get_route(run_id, symbol)
    if trail is None:
        return []
    found = []
    for opinion in trail.routed.opinions:
        call = store.get_call(opinion.call_key) if opinion.call_key else None
        if call is not None:
            found.append(
                ReasoningView(call.expert, call.model, call.verdict.value, call.response or "", call.reasoning or "")
            )
    return found
