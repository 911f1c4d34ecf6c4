"""One random session decided twice: by the live size and risk code and by its compiled transcription.

(a) `DayDecider.decide`: the backtest's own builders (SessionReference, SignalRouted via `trusted`) feed the
live `size_batch` and `RiskEngine.evaluate_batch` on Pydantic objects; (b) `compiled.sizing.size_session`
and `compiled.risk.risk_session` on the same account and market as arrays, called as `compiled.loop`
calls them. The proposed orders, the approved orders and the rejection counts must be identical. The
configurations are tight enough that caps bind, and the test asserts rejections and scalings did happen.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.panels import make_panel

from alphamoe.backtest.compiled.risk import RULE_CODES, risk_session
from alphamoe.backtest.compiled.sizing import size_session
from alphamoe.backtest.compiled.terms import ColumnTerms, column_terms, fee_terms, risk_terms, sizing_terms
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.decisions import BACKTEST_SECRET, DayDecider
from alphamoe.backtest.kelly import KellySchedule
from alphamoe.backtest.market import BacktestMarket, build_market, fen_price
from alphamoe.backtest.picks import Picks, scan_picks
from alphamoe.backtest.reference import SessionReference
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.market.bands import NO_LIMIT_FEN
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.sizing.allocate import order_id
from alphamoe.sizing.config import SizingConfig
from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.stats import ClosedTrades, KellyStats, kelly_stats
from alphamoe.types import Side

ROW, T = 1, 0  # the session decided, and the signal row it reads (the panel holds just these two)
PREFIXES = ("600", "601", "603", "605", "688", "689", "000", "001", "002", "003", "300", "301")
POOL = tuple(
    [f"{p}{k:03d}.{'SH' if p[0] == '6' else 'SZ'}" for p in PREFIXES for k in range(0, 40, 3)]
    + [f"{p}{k:04d}.BJ" for p in ("43", "83", "87", "92") for k in range(0, 40, 3)]
)
INDUSTRIES = ("bank", "chips", "autos", "food")
DAYS = (date(2020, 6, 1), date(2022, 4, 29), date(2023, 8, 28), date(2025, 7, 7))  # band, fee and ST-band regimes
P_WIN = (float("nan"), 0.0, 1.0, 1.2, -0.1, 0.35, 0.5, 0.55, 0.6, 0.6, 0.65, 0.7, 0.7, 0.8, 0.9)
PAYOFF = (float("nan"), 0.0, -1.0, float("inf"), 0.5, 1.0, 1.5, 2.0, 2.0, 3.5, 3.5)


@dataclass(frozen=True)
class Stock:
    """One column: today's pre-open facts, the account's holding of it, and its signal of row T."""

    symbol: str
    traded: bool  # has a bar on the session (a holding without one is suspended)
    prev_fen: int
    st: bool
    listing_index: int
    quantity: int  # 0: not held
    sellable: int
    last_fen: int
    entry: bool
    score: float
    exit: bool
    p_win: float
    payoff: float
    industry: str | None
    verdict: int  # the router's, index into VERDICTS
    confidence: float


@dataclass(frozen=True)
class Batch:
    day: date
    cash_fen: int
    stocks: tuple[Stock, ...]
    config: BacktestConfig


# one column's draws (module-level strategies: building them per draw costs more than the whole test)
_column = st.tuples(
    st.one_of(st.integers(1, 400), st.integers(1, 60).map(lambda k: 100 * k)),  # quantity when held
    st.one_of(st.integers(100, 30_000), st.integers(1, 99)),  # prev close, fen
    st.sampled_from([True, True, True, False]),  # traded today
    st.sampled_from([False, False, False, True]),  # ST
    st.sampled_from([0, 2, 4, 6, 500, 500, 500]),  # listing index: no-limit days on new listings
    st.one_of(st.none(), st.integers(0, 10**6)),  # sellable: all, or a part (T+1)
    st.one_of(st.none(), st.integers(50, 40_000)),  # last price: the prev close, or another mark
    st.one_of(st.floats(-5, 5), st.sampled_from([0.0, 1.0, float("nan")])),  # score
    st.booleans(),  # exit when held
    st.sampled_from(P_WIN),
    st.sampled_from(PAYOFF),
    st.sampled_from((None, *INDUSTRIES)),
    st.sampled_from([0, 0, 0, 0, 0, 0, 0, 1, 2]),  # router verdict: confirm, veto, abstain
    st.sampled_from([1.0, 1.0, 1.0, 0.9, 0.6]),  # router confidence
)
Column = tuple[int, int, bool, bool, int, int | None, int | None, float, bool, float, float, str | None, int, float]


def stock(symbol: str, held: bool, candidate: bool, c: Column) -> Stock:
    quantity_if_held, prev_fen, traded, st_flag, listing, part, mark, score, exits, p_win, payoff, industry, v, conf = c
    quantity = quantity_if_held if held else 0
    return Stock(
        symbol=symbol,
        traded=traded,
        prev_fen=prev_fen,
        st=st_flag,
        listing_index=listing,
        quantity=quantity,
        sellable=quantity if part is None else part % (quantity + 1),
        last_fen=prev_fen if mark is None else mark,
        entry=candidate,
        score=score,
        exit=held and exits,
        p_win=p_win,
        payoff=payoff,
        industry=industry,
        verdict=v,
        confidence=conf,
    )


sizing_configs = st.builds(
    SizingConfig,
    kelly_fraction=st.sampled_from([0.25, 0.5, 1.0]),
    max_position_weight=st.sampled_from([0.02, 0.1, 0.3, 0.3]),
    max_board_weight=st.sampled_from([0.05, 0.2, 0.5, 1.0, 1.0]),
    max_industry_weight=st.sampled_from([0.03, 0.25, 1.0, 1.0]),
    trim_band=st.sampled_from([0.0, 0.01, 0.02]),
    max_total_weight=st.sampled_from([0.2, 0.3, 0.6, 0.9]),
    cash_reserve=st.sampled_from([0.0, 0.05, 0.1, 0.5]),
    min_confidence=st.sampled_from([0.0, 0.0, 0.0, 0.5, 0.95]),
    limit_buffer=st.sampled_from([Decimal("0"), Decimal("0.02"), Decimal("0.015"), Decimal("0.1")]),
    max_orders=st.sampled_from([1, 3, 10, 50, 50]),
    min_order_value=st.sampled_from([Decimal("0"), Decimal("0"), Decimal("5000.01"), Decimal("20000")]),
)


@st.composite
def risk_limits(draw: st.DrawFn) -> RiskLimits:
    per_day = draw(st.sampled_from([2, 5, 20, 500]))
    return RiskLimits(
        max_position_weight=draw(st.sampled_from([0.03, 0.05, 0.1, 0.3])),
        max_board_weight=draw(st.sampled_from([0.05, 0.15, 0.6, 1.0])),
        max_industry_weight=draw(st.sampled_from([0.04, 0.1, 0.3, 1.0])),
        max_order_notional=draw(st.sampled_from([Decimal("20000"), Decimal("150000.5"), Decimal("500000")])),
        max_order_quantity=draw(st.sampled_from([500, 5_000, 1_000_000])),
        allow_st_buys=draw(st.booleans()),
        max_orders_per_day=per_day,
        max_orders_and_cancels_per_day=per_day + draw(st.sampled_from([0, 1, 100])),
        max_orders_per_second=draw(st.sampled_from([1, 3, 8, 100])),
        max_active_orders=draw(st.sampled_from([2, 6, 300])),
    )


commissions = st.sampled_from(
    [CommissionSchedule(), CommissionSchedule(rate=Decimal("0.0003"), minimum=Decimal("0.1"))]
)


_cash_ratios = st.sampled_from([0.0, 0.5, 1.5, 2.0, 3.0, 4.0, 9.0, 30.0])
_extra_cash = st.one_of(st.integers(0, 10**6), st.integers(10**7, 10**9))
_roles_of = st.sampled_from(["held", "candidate", "candidate", "candidate", "both", "none"])


@lru_cache
def _symbols(n: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(POOL), min_size=n, max_size=n, unique=True)


@lru_cache
def _roles(n: int) -> st.SearchStrategy[list[str]]:
    return st.lists(_roles_of, min_size=n, max_size=n)


@lru_cache
def _columns(n: int) -> st.SearchStrategy[list[Column]]:
    return st.lists(_column, min_size=n, max_size=n)


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    n = draw(st.integers(1, 70))
    symbols = draw(_symbols(n))
    drawn = draw(_roles(n))
    held = [r in ("held", "both") for r in drawn]
    picked = [r in ("candidate", "both") for r in drawn]
    while sum(held) > 30:  # 0–30 holdings, 0–60 candidates
        held[held.index(True)] = False
    while sum(picked) > 60:
        picked[picked.index(True)] = False
    config = BacktestConfig(
        sizing=draw(sizing_configs),
        risk=draw(risk_limits()),
        commission=draw(commissions),
        max_signals=draw(st.sampled_from([2, 10, 200])),
    )
    stocks = tuple(stock(*x) for x in zip(symbols, held, picked, draw(_columns(n)), strict=True))
    quant_only = draw(st.sampled_from([None, 1.0, 0.9, 0.6]))  # route "none": all confirmed at one confidence
    if quant_only is not None:
        stocks = tuple(dataclasses.replace(s, verdict=0, confidence=quant_only) for s in stocks)
    # cash as a multiple of the holdings' value (plus some), so the exposure the caps see spans 0 … 1
    value = sum(s.quantity * s.last_fen for s in stocks)
    cash = int(value * draw(_cash_ratios)) + draw(_extra_cash)
    return Batch(day=draw(st.sampled_from(DAYS)), cash_fen=cash, stocks=stocks, config=config)


@dataclass(frozen=True)
class Arrays:
    market: BacktestMarket
    signals: StrategySignals
    picks: Picks
    stats: KellyStats
    industries: dict[str, str]


def arrays(batch: Batch) -> Arrays:
    """The two-row market, signals and Kelly table both sides read (row T: the signals, ROW: the session)."""
    stocks, n = batch.stocks, len(batch.stocks)
    symbols = [s.symbol for s in stocks]
    prev = np.array([[s.prev_fen / 100 for s in stocks]] * 2)
    listing = np.array([[500] * n, [s.listing_index if s.traded else -1 for s in stocks]], dtype=np.int32)
    st_flags = np.array([[False] * n, [s.st for s in stocks]])
    panel = make_panel([date(2000, 1, 3), batch.day], symbols, prev_close=prev, st=st_flags, listing_index=listing)
    market = build_market(panel, ROW, min_listing_days=0)
    # the scan would drop ST stocks; keeping them eligible makes the ST_BUY rule reachable on both sides
    eligible = np.zeros_like(market.eligible)
    eligible[ROW] = market.traded[ROW]
    market = dataclasses.replace(market, eligible=eligible)
    shape = (2, n)
    entries, exits, score = np.zeros(shape, dtype=np.bool_), np.zeros(shape, dtype=np.bool_), np.full(shape, np.nan)
    entries[T] = [s.entry for s in stocks]
    exits[T] = [s.exit for s in stocks]
    score[T] = [s.score for s in stocks]
    # the real table of a strategy without closed trades, with p and b of the batch put in
    empty = np.zeros(0, dtype=np.int64)
    stats = dataclasses.replace(
        kelly_stats(ClosedTrades(empty, empty, empty, np.zeros(0)), tuple(symbols), prior_strength=0.0),
        p_win=np.array([s.p_win for s in stocks]),
        payoff=np.array([s.payoff for s in stocks]),
    )
    industries = {s.symbol: s.industry for s in stocks if s.industry is not None}
    signals = StrategySignals(entries, exits, score, {})
    # the scan's picks as the backtest takes them, each with the router's verdict drawn for its stock
    start, cols = scan_picks(market, signals, batch.config.max_signals)
    verdict = np.array([stocks[c].verdict for c in cols], dtype=np.int8)
    confidence = np.array([stocks[c].confidence for c in cols])
    picks = Picks(start, cols, verdict, confidence, tuple(f"routed {stocks[c].symbol}" for c in cols))
    return Arrays(market, signals, picks, stats, industries)


def account(batch: Batch) -> AccountState:
    """The account as `backtest.ledger.Ledger.opening` gives it: positions in symbol order."""
    held = sorted((s for s in batch.stocks if s.quantity > 0), key=lambda s: s.symbol)
    return AccountState(
        account_id=batch.config.account_id,
        trading_day=batch.day,
        cash=fen_price(batch.cash_fen),
        positions=tuple(
            Position(
                symbol=s.symbol,
                quantity=s.quantity,
                sellable=s.sellable,
                cost=fen_price(s.quantity * s.last_fen),
                last_price=fen_price(s.last_fen),
            )
            for s in held
        ),
    )


Order = tuple[str, Side, int, int]  # symbol, side, quantity, limit in fen


class RecordingRisk(RiskEngine):
    """The live risk engine, keeping the batch size_batch proposed (DayDecider returns only approvals)."""

    proposed: list[OrderProposed]

    def evaluate_batch(self, day: date, orders: Sequence[OrderProposed], *args: object, **kw: object) -> list[Decision]:
        self.proposed = list(orders)
        return super().evaluate_batch(day, orders, *args, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Outcome:
    proposed: list[Order]
    approved: list[Order]
    rejected: Counter[str]


def _order(o: OrderProposed) -> Order:
    return o.symbol, o.side, o.quantity, int(o.limit_price.scaleb(2))


def live(batch: Batch, data: Arrays) -> tuple[Outcome, list[OrderProposed]]:
    schedule = KellySchedule(rows=(T,), tables=(data.stats,))
    decider = DayDecider(
        data.market, data.signals, data.picks, schedule, "compiled-twin", batch.config, data.industries
    )
    risk = decider.risk = RecordingRisk(batch.config.risk, BACKTEST_SECRET, batch.config.commission)
    risk.proposed = []
    approved = decider.decide(ROW, account(batch))
    outcome = Outcome([_order(o) for o in risk.proposed], [_order(o) for o in approved], decider.rejected)
    return outcome, risk.proposed


@dataclass(frozen=True)
class Book:
    """The account as `compiled.loop` keeps it: per column, in fen; `held` in symbol order."""

    qty: npt.NDArray[np.int64]
    sellable: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]
    held: npt.NDArray[np.int64]


def book(batch: Batch, cols: ColumnTerms) -> Book:
    def fen(values: list[int]) -> npt.NDArray[np.int64]:
        return np.array(values, dtype=np.int64)

    qty = fen([x.quantity for x in batch.stocks])
    sellable = fen([x.sellable for x in batch.stocks])
    last = fen([x.last_fen for x in batch.stocks])
    return Book(qty, sellable, last, cols.by_rank[qty[cols.by_rank] > 0])


def compiled(batch: Batch, data: Arrays) -> Outcome:
    """One session of `compiled.loop.run_rows`, up to matching, on the batch as arrays."""
    config, market, signals = batch.config, data.market, data.signals
    panel = market.panel
    s = sizing_terms(config)
    cols, fees = column_terms(panel.symbols, data.industries), fee_terms(panel, config)
    n, a = len(panel.symbols), book(batch, cols)
    exiting = np.zeros(n, dtype=np.bool_)
    exiting[a.held] = signals.exits[T, a.held]
    at = data.picks.at(T)
    picks, confidence = data.picks.cols[at], data.picks.sized_confidence[at]
    if not (len(picks) or exiting.any()):
        return Outcome([], [], Counter())
    width = n + s.max_orders
    out_col, out_qty, out_limit = (np.zeros(width, dtype=np.int64) for _ in range(3))
    out_buy = np.zeros(width, dtype=np.bool_)
    n_orders = size_session(
        ROW, batch.cash_fen, 0, a.qty, a.sellable, a.last, a.held, exiting, picks, confidence, data.stats.p_win,
        data.stats.payoff, market.traded[ROW], market.prev_close[ROW], market.down[ROW], market.up[ROW], s, cols,
        fees, out_col, out_buy, out_qty, out_limit,
    )  # fmt: skip
    proposed = [
        (panel.symbols[out_col[k]], Side.BUY if out_buy[k] else Side.SELL, int(out_qty[k]), int(out_limit[k]))
        for k in range(n_orders)
    ]
    approved, rejected = compiled_risk(batch, data, proposed) if proposed else ([], Counter())
    return Outcome(proposed, approved, rejected)


def compiled_risk(batch: Batch, data: Arrays, orders: list[Order]) -> tuple[list[Order], Counter[str]]:
    """`risk_session` on the orders as `compiled.loop` passes them; the approved ones in decision order."""
    market, panel = data.market, data.market.panel
    cols, fees = column_terms(panel.symbols, data.industries), fee_terms(panel, batch.config)
    a, col = book(batch, cols), {symbol: i for i, symbol in enumerate(panel.symbols)}
    n = len(orders)
    order_col = np.array([col[o[0]] for o in orders], dtype=np.int64)
    order_buy = np.array([o[1] == Side.BUY for o in orders], dtype=np.bool_)
    order_qty = np.array([o[2] for o in orders], dtype=np.int64)
    order_limit = np.array([o[3] for o in orders], dtype=np.int64)
    approved = np.zeros(n, dtype=np.int64)
    rejected = np.zeros(len(RULE_CODES), dtype=np.int64)
    n_approved = risk_session(
        ROW, n, order_col, order_buy, order_qty, order_limit, batch.cash_fen, 0, a.qty, a.sellable, a.last, a.held,
        market.traded[ROW], panel.st[ROW], market.down[ROW], market.up[ROW], risk_terms(batch.config), cols, fees,
        approved, rejected,
    )  # fmt: skip
    counts = Counter({code: int(c) for code, c in zip(RULE_CODES, rejected, strict=True) if c})
    return [orders[int(k)] for k in approved[:n_approved]], counts


def live_risk(batch: Batch, data: Arrays, orders: list[Order]) -> tuple[list[Order], Counter[str]]:
    """`RiskEngine.evaluate_batch` as `DayDecider.decide` calls it, on orders made up outside sizing."""
    market, day, account_id = data.market, batch.day, batch.config.account_id
    columns = list(enumerate(market.panel.symbols))
    reference = SessionReference(market, day, ROW, [(symbol, i) for i, symbol in columns])
    proposed = [
        OrderProposed(
            trading_day=day,
            order_id=order_id(day, account_id, symbol, side),
            account_id=account_id,
            symbol=symbol,
            side=side,
            quantity=quantity,
            limit_price=fen_price(limit),
            reference_price=fen_price(limit),
            target_weight=0.0,
            kelly_fraction=0.0,
        )
        for symbol, side, quantity, limit in orders
    ]
    engine = RiskEngine(batch.config.risk, BACKTEST_SECRET, batch.config.commission)
    facts = MarketFacts(industries=data.industries)
    decisions = engine.evaluate_batch(day, proposed, account(batch), reference, TradingState.ACTIVE, facts=facts)
    approved = [_order(d.order) for d in decisions if isinstance(d, OrderApproved)]
    rejected = Counter(v.code for d in decisions if isinstance(d, OrderRejected) for v in d.violations)
    return approved, rejected


SESSIONS = settings(
    deadline=None,
    max_examples=100,
    derandomize=True,  # the "did it happen" checks must not depend on the run's seed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_session_when_random_batch_then_compiled_size_and_risk_equal_live() -> None:
    seen: Counter[str] = Counter()

    @SESSIONS
    @given(batch=batches())
    def check(batch: Batch) -> None:
        data = arrays(batch)
        expected, proposed = live(batch, data)
        got = compiled(batch, data)
        assert got.proposed == expected.proposed
        assert got.approved == expected.approved
        assert got.rejected == expected.rejected
        seen["batches with orders"] += bool(proposed)
        seen["picks not confirmed"] += int(np.count_nonzero(data.picks.verdict))
        seen["sells"] += sum(o.side == Side.SELL for o in proposed)
        seen["trims"] += sum(o.reasons[0].startswith("trim") for o in proposed if o.side == Side.SELL)
        seen["buys"] += sum(o.side == Side.BUY for o in proposed)
        seen["approved"] += len(expected.approved)
        seen["exposure scaled"] += sum(any(n.startswith("scaled ×") for n in o.reasons) for o in proposed)
        seen["group capped"] += sum(any(" capped: held" in n for n in o.reasons) for o in proposed)
        seen["stock capped"] += sum(any(n.startswith("capped at") for n in o.reasons) for o in proposed)
        for code in expected.rejected:
            seen[f"rejected {code}"] += 1

    check()
    for what in (
        "sells",
        "trims",
        "buys",
        "approved",
        "exposure scaled",
        "group capped",
        "stock capped",
        "picks not confirmed",
    ):
        assert seen[what] > 0, f"no {what} across the examples: the comparison was vacuous there ({seen})"
    rejected_codes = {k for k in seen if k.startswith("rejected ")}
    assert len(rejected_codes) >= 6, f"too few rejection codes exercised: {sorted(rejected_codes)}"


TWEAKS = ("keep", "keep", "odd", "less", "more", "above", "below")
EXTRA_QUANTITIES = (1, 50, 100, 199, 200, 250, 1_000, 30_000)


def _tweak(order: Order, how: str, by: int, stock: Stock, up: int, down: int) -> Order:
    symbol, side, quantity, limit = order
    if how == "odd":  # off the board lot (still valid on STAR and BSE above the minimum)
        return symbol, side, quantity + by % 99 + 1, limit
    if how == "less":  # may leave an odd lot that does not clear the holding
        return symbol, side, max(quantity - by % 150 - 1, 1), limit
    if how == "more":  # past the sellable shares, the cash, the caps
        return symbol, side, quantity * (by % 4 + 2), limit
    if how == "above":  # outside the band when the day has one
        return symbol, side, quantity, up + 1 if up < NO_LIMIT_FEN else stock.prev_fen * 3
    if how == "below":
        return symbol, side, quantity, max(down - 1, 1)
    return order


def test_risk_when_orders_break_rules_then_compiled_verdicts_equal_live() -> None:
    """Sizing only proposes valid orders; orders made invalid on purpose reach every rule the kernel transcribes."""
    seen: Counter[str] = Counter()

    @SESSIONS
    @given(batch=batches(), draw=st.data())
    def check(batch: Batch, draw: st.DataObject) -> None:
        data = arrays(batch)
        _, proposed = live(batch, data)
        market, by_symbol = data.market, {s.symbol: s for s in batch.stocks}
        col = {symbol: i for i, symbol in enumerate(market.panel.symbols)}

        def band(symbol: str) -> tuple[int, int]:
            return int(market.up[ROW, col[symbol]]), int(market.down[ROW, col[symbol]])

        orders: dict[tuple[str, Side], Order] = {}
        for o in proposed:
            how, by = draw.draw(st.sampled_from(TWEAKS)), draw.draw(st.integers(0, 10**6))
            orders[o.symbol, o.side] = _tweak(_order(o), how, by, by_symbol[o.symbol], *band(o.symbol))
        for _ in range(draw.draw(st.integers(0, 8))):  # any stock, either side: suspended, unheld, ST ...
            stock = by_symbol[draw.draw(st.sampled_from(market.panel.symbols))]
            side = draw.draw(st.sampled_from(Side))
            quantity = draw.draw(st.sampled_from((*EXTRA_QUANTITIES, stock.quantity or 1, stock.sellable or 1)))
            up, down = band(stock.symbol)
            limit = draw.draw(st.sampled_from([stock.prev_fen, up, down, stock.prev_fen * 2]))
            orders.setdefault((stock.symbol, side), (stock.symbol, side, quantity, max(min(limit, 10**8), 1)))
        cap = risk_terms(batch.config).max_order_notional  # fen, floored
        stock = by_symbol[draw.draw(st.sampled_from(market.panel.symbols))]
        quantity = draw.draw(st.sampled_from([100, 200]))
        limit = cap // quantity + draw.draw(st.sampled_from([0, 1]))  # a notional at the cap, or just past it
        orders.setdefault((stock.symbol, Side.BUY), (stock.symbol, Side.BUY, quantity, limit))
        batch_orders = list(orders.values())
        expected = live_risk(batch, data, batch_orders)
        assert compiled_risk(batch, data, batch_orders) == expected
        seen["approved"] += len(expected[0])
        seen.update(expected[1])

    check()
    for code in ("LOT_SIZE", "PRICE_BAND", "T_PLUS_ONE", "CASH", "SYMBOL_NOT_TRADING", "ST_BUY", "MAX_POSITION_WEIGHT"):
        assert seen[code] > 0, f"no {code} rejection across the examples ({seen})"
    assert seen["approved"] > 0
