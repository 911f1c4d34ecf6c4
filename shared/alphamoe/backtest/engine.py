"""The rules-on backtest: signals once over the panel, then one loop over sessions with live size and risk.

Per session d: the live decisions (`decisions.DayDecider`: scan candidates of row d−1 → size_batch →
RiskEngine), then every approved order is matched against d's raw bar as the paper broker matches it
(sealed boards and suspended stocks do not fill, fills capped at a share of the day's volume, dated fees
with the minimum commission), then holdings are marked at d's close.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.decisions import DayDecider, Leg
from alphamoe.backtest.explain import explained
from alphamoe.backtest.fills import fill_price_fen, volume_room
from alphamoe.backtest.kelly import KellySchedule, kelly_schedule
from alphamoe.backtest.kelly_cache import KellyCache
from alphamoe.backtest.ledger import Ledger
from alphamoe.backtest.market import BacktestMarket, build_market, fen_price
from alphamoe.backtest.metrics import compute_metrics
from alphamoe.backtest.picks import Picks
from alphamoe.backtest.result import BacktestResult, EquityPoint, TradeRecord, UnfilledOrder
from alphamoe.backtest.routing import route_picks
from alphamoe.backtest.trusted import trusted
from alphamoe.backtest.universe import load_range, restrict
from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.actions.store import ActionBook
from alphamoe.errors import ConfigurationError
from alphamoe.events.payloads import OrderProposed
from alphamoe.market.bars import BarStore, Panel
from alphamoe.market.fees import trade_fees
from alphamoe.market.lots import round_buy_quantity, round_sell_quantity
from alphamoe.sizing.allocate import ratio
from alphamoe.strategy.base import Strategy, StrategySignals
from alphamoe.strategy.stats import kelly_history
from alphamoe.types import Side

Progress = Callable[[int, int], None]
"""Called as progress(sessions done, sessions in all) after every session."""


@dataclass
class Prepared:
    """What both engines share: the market arrays, the strategy's signals and the Kelly statistics.

    A strategy book's run holds every strategy's `Leg` in `book` (the first one's are also `signals`, `picks`,
    `kelly` and `strategy`); only the reference loop and Backtrader decide on a book (`DayDecider`).
    """

    market: BacktestMarket
    signals: StrategySignals
    picks: Picks
    kelly: KellySchedule
    strategy: Strategy
    config: BacktestConfig
    industries: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    actions: ActionBook | None = None  # the store's corporate actions, applied to holdings on their ex dates
    book: tuple[Leg, ...] = ()  # a strategy book's strategies (two or more), in book order
    strategies: tuple[Strategy, ...] = ()  # the book's strategies, as `book`

    @property
    def legs(self) -> tuple[Leg, ...]:
        """Every strategy's signals, Kelly statistics and picks: the book's, or the one strategy's."""
        return self.book or (Leg(self.strategy.name, self.signals, self.kelly, self.picks),)

    @property
    def name(self) -> str:
        """The strategy's name, or a book's names joined by "+" (as the live day's ScanCompleted)."""
        return "+".join(leg.strategy for leg in self.book) if self.book else self.strategy.name

    @property
    def rows(self) -> range:
        return range(self.market.first_row, self.market.panel.close.shape[0])

    def day(self, row: int) -> date:
        return self.market.panel.day(row)

    def actions_at(self, row: int) -> list[CorporateAction]:
        """Return the corporate actions an account applies at the open of session `row`: ex dates after the
        session before it, up to its own (`ActionBook.between`)."""
        if self.actions is None or not len(self.actions):
            return []
        start = self.day(row - 1) + timedelta(days=1) if row > 0 else self.day(row)
        return self.actions.between(start, self.day(row))

    def decider(self) -> DayDecider:
        return DayDecider(
            self.market,
            self.signals,
            self.picks,
            self.kelly,
            self.strategy.name,
            self.config,
            self.industries,
            book=self.book,
        )


def prepare(
    store: BarStore,
    start: date,
    end: date,
    strategy: Strategy | Sequence[Strategy],
    config: BacktestConfig,
    universe: Sequence[str] | None = None,
    *,
    progress: Progress | None = None,
    cache: Path | None = None,
) -> Prepared:
    """Load the panel (with `config.warmup` sessions before `start`, or the Kelly window's `kelly_history` if
    longer), compute signals, Kelly statistics, picks: of one strategy, or of each of a strategy book's
    (`prepare_market`), whose capital split is `config.sizing.strategy_capital`.

    `progress` follows the routing of the picks (sessions), when `config.route` runs the experts; `cache` is
    a folder where each Kelly refresh's trades are kept for the next run (`backtest.kelly_cache`).
    """
    t0 = time.perf_counter()
    history = max(config.warmup, kelly_history(config.stats_lookback, config.stats_refresh))
    panel, first_row = load_range(store, start, end, history)
    if universe is not None:
        panel = restrict(panel, universe)
    kelly_cache = None if cache is None else KellyCache.for_store(cache, store)
    prepared = prepare_panel(
        panel, first_row, strategy, config, store_industries(store), progress=progress, kelly_cache=kelly_cache
    )
    prepared.actions = store.actions()
    prepared.timings = {"load_s": time.perf_counter() - t0 - sum(prepared.timings.values()), **prepared.timings}
    return prepared


def prepare_panel(
    panel: Panel,
    first_row: int,
    strategy: Strategy | Sequence[Strategy],
    config: BacktestConfig,
    industries: dict[str, str],
    *,
    progress: Progress | None = None,
    kelly_cache: KellyCache | None = None,
) -> Prepared:
    """Compute the market arrays, signals, Kelly statistics and routed picks of a loaded panel (from `first_row`)."""
    t0 = time.perf_counter()
    market = build_market(panel, first_row, min_listing_days=config.min_listing_days)
    market_s = time.perf_counter() - t0
    prepared = prepare_market(market, strategy, config, industries, progress=progress, kelly_cache=kelly_cache)
    prepared.timings = {"market_s": market_s, **prepared.timings}
    return prepared


def prepare_market(
    market: BacktestMarket,
    strategy: Strategy | Sequence[Strategy],
    config: BacktestConfig,
    industries: dict[str, str],
    *,
    progress: Progress | None = None,
    kelly_cache: KellyCache | None = None,
) -> Prepared:
    """Compute the strategy's signals, its Kelly statistics and the routed picks over built market arrays.

    A sequence of strategies is a strategy book: each is prepared on the same market (its own signals,
    Kelly p/b from its own trades, picks judged by the one router) and decided on together, each pick tagged
    with its strategy, each sized on its share of the capital: `config.sizing.strategy_capital`, which must
    name every strategy of the book (as the live size stage's, from the same ALPHAMOE_SCAN__STRATEGIES).
    """
    if not isinstance(strategy, Strategy):
        return _prepare_book(market, tuple(strategy), config, industries, progress=progress, kelly_cache=kelly_cache)
    panel = market.panel
    t0 = time.perf_counter()
    signals = strategy.decisions(panel)  # the experts read the router's own features (router/features.py)
    t1 = time.perf_counter()
    kelly = kelly_schedule(
        panel,
        strategy,
        first_decision_row=max(market.first_row - 1, 0),
        lookback=config.stats_lookback,
        refresh=config.stats_refresh,
        prior_strength=config.prior_strength,
        cache=kelly_cache,
    )
    t2 = time.perf_counter()
    picks = route_picks(market, signals, kelly, strategy.name, config, progress=progress)
    t3 = time.perf_counter()
    timings = {"signals_s": t1 - t0, "stats_s": t2 - t1, "picks_s": t3 - t2}
    return Prepared(market, signals, picks, kelly, strategy, config, industries, timings)


def _prepare_book(
    market: BacktestMarket,
    strategies: tuple[Strategy, ...],
    config: BacktestConfig,
    industries: dict[str, str],
    *,
    progress: Progress | None = None,
    kelly_cache: KellyCache | None = None,
) -> Prepared:
    names = [s.name for s in strategies]
    if not strategies or len(set(names)) != len(names):
        raise ConfigurationError(f"a strategy book names each strategy once, was {names}")
    capital = config.sizing.strategy_capital
    if len(strategies) > 1 and sorted(capital) != sorted(names):
        raise ConfigurationError(
            f"strategy book {names}: sizing.strategy_capital must give each its share of the capital, was {capital}"
        )
    legs = [
        prepare_market(market, s, config, industries, progress=progress, kelly_cache=kelly_cache) for s in strategies
    ]
    first = legs[0]
    if len(legs) == 1:
        return first
    timings = {key: sum(leg.timings[key] for leg in legs) for key in first.timings}
    book = tuple(Leg(p.strategy.name, p.signals, p.kelly, p.picks) for p in legs)
    return Prepared(
        market, first.signals, first.picks, first.kelly, first.strategy, config, industries, timings,
        book=book, strategies=strategies,
    )  # fmt: skip


def store_industries(store: BarStore) -> dict[str, str]:
    """Return each stock's industry from the instrument table (stocks without one are left out)."""
    return store.industries()


@dataclass
class Session:
    """One session's matching state: shares filled per symbol (volume cap) and cash frozen for open buys."""

    row: int
    day: date
    filled: Counter[str] = field(default_factory=Counter)
    bought: Counter[str] = field(default_factory=Counter)  # shares filled per buy order id
    frozen: Decimal = Decimal("0")  # cash held for the open remainders of today's buys, as a broker does


def simulate(prepared: Prepared, *, progress: Progress | None = None) -> BacktestResult:
    """Run the session loop over prepared signals and return trades, equity and metrics."""
    t0 = time.perf_counter()
    config, market = prepared.config, prepared.market
    decider = prepared.decider()
    ledger = Ledger(config.account_id, config.initial_cash)
    cols = {s: i for i, s in enumerate(market.panel.symbols)}
    trades: list[TradeRecord] = []
    equity: list[EquityPoint] = []
    unfilled: Counter[str] = Counter()
    misses: list[UnfilledOrder] = []
    rows = prepared.rows
    for n, row in enumerate(rows, start=1):
        session = Session(row, prepared.day(row))
        for order in decider.decide(row, ledger.opening(session.day, prepared.actions_at(row))):
            reason = fill_order(order, session, cols[order.symbol], market, ledger, config, trades, misses)
            if reason is not None:
                unfilled[reason] += 1
        held = list(ledger.holdings)
        at = np.array([cols[s] for s in held], dtype=np.int64)
        marks = zip(held, market.traded[row, at].tolist(), market.close[row, at].tolist(), strict=True)
        for symbol, traded, close in marks:
            if traded:  # a suspended stock keeps its last price
                ledger.mark(symbol, fen_price(close))
        value = ledger.market_value
        total = ledger.cash + ledger.receivable + value
        equity.append(
            EquityPoint(
                day=session.day,
                equity=float(total),
                cash=float(ledger.cash),
                exposure=ratio(value, total) if total > 0 else 0.0,
            )
        )
        if progress is not None:
            progress(n, len(rows))
    return build_result(
        prepared,
        "alphamoe",
        explained(prepared, trades),
        equity,
        rejected=decider.rejected,
        unfilled=unfilled,
        unfilled_orders=misses,
        loop_s=time.perf_counter() - t0,
        notes=["matching: the paper broker's rule on each session's bar, in exact fen"],
    )


_ROUTE_NOTES = {
    "none": "router not run: every pick confirmed at confidence {confidence} (quant-only backtest)",
    "symbolic": "router: the live panel's symbolic experts judged every pick; only confirmed ones were sized, "
    "at the panel's confidence (LLM experts unavailable, as on a live day without a model)",
}


def build_result(
    prepared: Prepared,
    engine: str,
    trades: list[TradeRecord],
    equity: list[EquityPoint],
    *,
    rejected: Counter[str],
    unfilled: Counter[str],
    unfilled_orders: list[UnfilledOrder] | None = None,
    loop_s: float,
    notes: list[str],
) -> BacktestResult:
    """Return one engine's run as a BacktestResult, with the metrics and the notes both engines share.

    `trades` carry their `why` (`backtest.explain`).
    """
    config, rows = prepared.config, prepared.rows
    traded = {t.symbol for t in trades}
    start, end = prepared.day(rows[0]), prepared.day(rows[-1])
    actions = (
        [] if prepared.actions is None else [a for a in prepared.actions.between(start, end) if a.symbol in traded]
    )
    return BacktestResult(
        engine=engine,
        strategy=prepared.name,
        params=_params(prepared),
        start=prepared.day(rows[0]),
        end=prepared.day(rows[-1]),
        sessions=len(rows),
        universe=len(prepared.market.panel.symbols),
        initial_cash=config.initial_cash,
        final_equity=equity[-1].equity,
        metrics=compute_metrics(equity, trades, float(config.initial_cash), actions),
        actions=actions,
        trades=trades,
        equity=equity,
        rejected=dict(sorted(rejected.items())),
        unfilled=dict(sorted(unfilled.items())),
        unfilled_orders=unfilled_orders or [],
        timings={**prepared.timings, "loop_s": loop_s},
        route=config.route,
        verdicts=prepared.picks.counts(),
        notes=[
            *notes,
            *_book_notes(prepared),
            _ROUTE_NOTES[config.route].format(confidence=config.confidence),
            f"Kelly p/b refreshed at the first session of each {config.stats_refresh}-weekday block from the "
            f"strategy's own trades closed in the {config.stats_lookback} sessions before (point in time, as live)",
            "trading state ACTIVE throughout: the kill switch's drawdown and daily-loss triggers are not modelled",
        ],
    )


def _params(prepared: Prepared) -> dict[str, object]:
    if not prepared.book:
        return prepared.strategy.params.model_dump(mode="json")
    return {s.name: s.params.model_dump(mode="json") for s in prepared.strategies}


def _book_notes(prepared: Prepared) -> list[str]:
    if not prepared.book:
        return []
    capital = prepared.config.sizing
    shares = ", ".join(f"{leg.strategy} {capital.capital_of(leg.strategy)}" for leg in prepared.book)
    return [
        f"strategy book ({shares} of the capital): each strategy's picks tagged with it, judged by one router, "
        "sized together by the live size_batch on the strategy's share, one risk engine; Kelly p/b per strategy"
    ]


def fill_order(
    order: OrderProposed,
    session: Session,
    i: int,
    market: BacktestMarket,
    ledger: Ledger,
    config: BacktestConfig,
    trades: list[TradeRecord],
    misses: list[UnfilledOrder] | None = None,
) -> str | None:
    """Match one approved day order against the session's bar as the paper broker does; return why not, or None.

    An order not filled in full (a partial fill short by the volume cap too) is appended to `misses`.
    """
    n = len(trades)
    reason = _fill_order(order, session, i, market, ledger, config, trades)
    filled = trades[-1].quantity if len(trades) > n else 0
    if misses is not None and filled < order.quantity:
        misses.append(
            trusted(
                UnfilledOrder,
                day=session.day,
                symbol=order.symbol,
                side=order.side,
                quantity=order.quantity,
                filled=filled,
                limit_price=order.limit_price,
                reason=reason or "volume_cap",
            )
        )
    return reason


def _fill_order(
    order: OrderProposed,
    session: Session,
    i: int,
    market: BacktestMarket,
    ledger: Ledger,
    config: BacktestConfig,
    trades: list[TradeRecord],
) -> str | None:
    row, symbol, side = session.row, order.symbol, order.side
    if not market.traded[row, i]:
        return "suspended"
    limit = int(order.limit_price * 100)
    if side == Side.BUY:
        if _cost(order, order.quantity, session.day, config) > ledger.cash - session.frozen:
            return "cash"
    elif order.quantity > ledger.sellable(symbol):
        return "t_plus_one"
    reason = _match(order, session, i, market, ledger, config, trades, limit)
    if side == Side.BUY:
        remainder = order.quantity - (session.bought.get(order.order_id, 0))
        if remainder > 0:  # the open remainder keeps its cash frozen until the day order expires
            session.frozen += _cost(order, remainder, session.day, config)
    return reason


def _cost(order: OrderProposed, quantity: int, day: date, config: BacktestConfig) -> Decimal:
    price = order.limit_price
    return quantity * price + trade_fees(order.symbol, order.side, quantity, price, day, config.commission)


def _match(
    order: OrderProposed,
    session: Session,
    i: int,
    market: BacktestMarket,
    ledger: Ledger,
    config: BacktestConfig,
    trades: list[TradeRecord],
    limit: int,
) -> str | None:
    row, symbol, side = session.row, order.symbol, order.side
    price_fen = fill_price_fen(
        side,
        limit,
        int(market.open[row, i]),
        int(market.high[row, i]),
        int(market.low[row, i]),
        int(market.up[row, i]),
        int(market.down[row, i]),
    )
    if price_fen is None:
        sealed = market.buy_sealed(row, i) if side == Side.BUY else market.sell_sealed(row, i)
        if not sealed:
            return "limit_not_reached"
        return "sealed_limit_up" if side == Side.BUY else "sealed_limit_down"
    room = volume_room(float(market.panel.volume[row, i]), config.volume_cap, session.filled[symbol])
    quantity = order.quantity
    if room < quantity:
        quantity = (
            round_buy_quantity(symbol, room)
            if side == Side.BUY
            else round_sell_quantity(symbol, room, ledger.held(symbol))
        )
        if quantity <= 0:
            return "volume_cap"
    price = fen_price(price_fen)
    fees = trade_fees(symbol, side, quantity, price, session.day, config.commission)
    tax = Decimal(0)
    if side == Side.BUY:
        ledger.buy(symbol, quantity, price, fees, session.day)
    else:
        tax = ledger.sell(symbol, quantity, price, fees, session.day)
    session.filled[symbol] += quantity
    session.bought[order.order_id] += quantity if side == Side.BUY else 0
    trades.append(
        trusted(
            TradeRecord,
            symbol=symbol,
            side=side,
            day=session.day,
            quantity=quantity,
            price=price,
            fees=fees,
            tax=tax,
            order_id=order.order_id,
        )
    )
    return None


def run_backtest(
    store: BarStore,
    start: date,
    end: date,
    strategy: Strategy,
    config: BacktestConfig | None = None,
    *,
    universe: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Backtest `strategy` over sessions [start, end] of `store` with the A-share rules and live size/risk."""
    prepared = prepare(store, start, end, strategy, config or BacktestConfig(), universe)
    return simulate(prepared, progress=progress)
