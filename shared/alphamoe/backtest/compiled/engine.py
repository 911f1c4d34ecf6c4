"""Run prepared signals through the compiled session loop and return the same BacktestResult as `simulate`.

Sessions run in chunks so a rich progress bar can follow; trades and equity come back as integer arrays
and become TradeRecords (exact CNY from fen) and EquityPoints once, at the end.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import numpy as np

from alphamoe.backtest.compiled.loop import MISS_FIELDS, TRADE_FIELDS, run_rows
from alphamoe.backtest.compiled.matching import CASH, RECEIVABLE, UNFILLED, TaxedLots
from alphamoe.backtest.compiled.risk import RULE_CODES
from alphamoe.backtest.compiled.terms import IntArray, column_terms, fee_terms, risk_terms, sizing_terms
from alphamoe.backtest.engine import Prepared, Progress, build_result
from alphamoe.backtest.explain import fill_reasons
from alphamoe.backtest.market import fen_price
from alphamoe.backtest.result import BacktestResult, EquityPoint, TradeRecord, UnfilledOrder
from alphamoe.backtest.trusted import collector_paused, trusted
from alphamoe.errors import ConfigurationError
from alphamoe.market.corporate import Receivable, carry, owed, settle
from alphamoe.market.dividend_tax import TaxLot, bought, rates_bp, tax_on_sale
from alphamoe.sizing.allocate import order_id
from alphamoe.types import Side

CHUNK = 125  # sessions per kernel call: about half a year, so the progress bar moves


def simulate_compiled(prepared: Prepared, *, progress: Progress | None = None) -> BacktestResult:
    """Run the session loop compiled (`backtest.compiled.loop`); same result as `engine.simulate`."""
    with collector_paused():  # the result's tens of thousands of records (`trusted.collector_paused`)
        return _simulate(prepared, progress)


def _simulate(prepared: Prepared, progress: Progress | None) -> BacktestResult:
    if prepared.book:  # its sizing is one strategy's, without the book's capital split
        raise ConfigurationError(f"the compiled loop runs one strategy; book {prepared.name}: use engine reference")
    t0 = time.perf_counter()
    config, market, signals = prepared.config, prepared.market, prepared.signals
    panel = market.panel
    n_rows, n_cols = panel.close.shape
    schedule = prepared.kelly
    kelly_table = np.searchsorted(np.asarray(schedule.rows), np.arange(n_rows), side="right") - 1
    p_win = np.stack([t.p_win for t in schedule.tables]).astype(np.float64)
    payoff = np.stack([t.payoff for t in schedule.tables]).astype(np.float64)
    book = np.array([_fen(config.initial_cash), 0, 0], dtype=np.int64)
    qty, sellable, last = (np.zeros(n_cols, dtype=np.int64) for _ in range(3))
    bars = (market.open, market.high, market.low, market.up, market.down, market.volume, market.traded)
    picks = prepared.picks
    confidence = picks.sized_confidence
    terms = (sizing_terms(config), risk_terms(config), column_terms(panel.symbols, prepared.industries))
    fees = fee_terms(panel, config)
    rejected = np.zeros(len(RULE_CODES), dtype=np.int64)
    unfilled = np.zeros(len(UNFILLED), dtype=np.int64)
    trades, n_trades = np.zeros((4096, len(TRADE_FIELDS)), dtype=np.int64), 0
    misses, n_misses = np.zeros((1024, len(MISS_FIELDS)), dtype=np.int64), 0
    equity = np.zeros((n_rows, 3), dtype=np.int64)
    rows = prepared.rows
    days = panel.days
    holdings = _Holdings(prepared, days, qty, last, book)
    action_rows = [row for row in rows if prepared.actions_at(row)]
    lo = rows.start
    while lo < rows.stop:
        # a chunk ends before the next session with corporate actions or a dividend's pay date: they are applied
        # in Python, between calls
        locked = holdings.apply_actions(lo)
        hi = min(lo + CHUNK, rows.stop, *action_rows[bisect_right(action_rows, lo) :][:1], *holdings.pay_rows(lo))
        before, n_before = qty.copy(), n_trades
        trades, n_trades, misses, n_misses = run_rows(
            lo, hi, book, qty, sellable, locked, last, bars, market.close, market.prev_close, market.st,
            picks.start, picks.cols, confidence, signals.exits, kelly_table, p_win, payoff, *terms, fees,
            holdings.taxed(lo, hi), config.volume_cap, rejected, unfilled, trades, n_trades, misses, n_misses, equity,
        )  # fmt: skip
        holdings.follow(before, trades[n_before:n_trades])
        if progress is not None:
            progress(hi - rows.start, len(rows))
        lo = hi
    return build_result(
        prepared,
        "alphamoe",
        _trades(prepared, trades[:n_trades], days, config.account_id),
        _equity(equity, rows, days),
        rejected=Counter({code: int(n) for code, n in zip(RULE_CODES, rejected, strict=True) if n}),
        unfilled=Counter({why: int(n) for why, n in zip(UNFILLED, unfilled, strict=True) if n}),
        unfilled_orders=_misses(prepared, misses[:n_misses], days),
        loop_s=time.perf_counter() - t0,
        notes=["matching: the paper broker's rule on each session's bar, in exact fen (compiled session loop)"],
    )


class _Holdings:
    """The compiled account's corporate actions: `market.corporate.carry` on the fen arrays at an ex date's open.

    The kernel keeps no opening day per position, so this follows the fills (a buy into an empty position
    opens it, a sell to zero closes it), and the tax lots (`market.dividend_tax`), as `Ledger` keeps them:
    `taxed` hands the kernel those with dividends untaxed, and `follow` replays each sale's tax with the
    Python rule and refuses a run where the kernel's differs by a fen. Lots with no dividend untaxed owe no
    tax at any sale, so a stock's fills on them are kept and replayed only when an action needs its lots
    (most positions open and close without one); a sale of them must carry no tax.
    """

    def __init__(self, prepared: Prepared, days: list[date], qty: IntArray, last: IntArray, book: IntArray) -> None:
        self.prepared, self.days, self.qty, self.last, self.book = prepared, days, qty, last, book
        self.cols = {s: i for i, s in enumerate(prepared.market.panel.symbols)}
        self.opened = np.full(len(qty), -1, dtype=np.int64)
        self.receivables: tuple[Receivable, ...] = ()  # book[RECEIVABLE] is their sum in fen
        self.lots: dict[int, tuple[TaxLot, ...]] = {}  # each held column's tax lots, before its `fills`
        self.fills: dict[int, list[tuple[int, bool, int]]] = {}  # (row, buy, quantity) not yet on its lots
        self.owing: set[int] = set()  # the columns with a dividend untaxed on their lots

    def pay_rows(self, row: int) -> list[int]:
        """Return the first session after `row` on or after the earliest pay date owed (none when nothing is)."""
        if not self.receivables:
            return []
        first = bisect_right(self.days, min(r.pay_date for r in self.receivables) - timedelta(days=1))
        return [max(first, row + 1)]

    def apply_actions(self, row: int) -> IntArray:
        """Apply the actions of session `row` to the holdings and pay the dividends due by its open; return the
        new shares locked per column."""
        locked = np.zeros(len(self.qty), dtype=np.int64)
        actions = self.prepared.actions_at(row)
        for symbol in sorted({a.symbol for a in actions}):
            c = self.cols.get(symbol)
            if c is None or self.qty[c] <= 0:
                continue
            opened = self.days[self.opened[c]] if self.opened[c] >= 0 else None
            price = fen_price(int(self.last[c]))
            got = carry(
                symbol,
                int(self.qty[c]),
                Decimal(0),
                actions,
                opened=opened,
                last_price=price,
                day=self.days[row],
                lots=self._lots(c),
            )
            self.qty[c], locked[c], self.last[c] = got.quantity, got.new_shares, _fen(got.price)
            self.lots[c] = got.lots
            if any(lot.untaxed for lot in got.lots):
                self.owing.add(c)
            self.book[CASH] += _fen(got.paid)
            self.receivables += got.receivables
        if self.receivables:
            paid, self.receivables = settle(self.receivables, self.days[row])
            self.book[CASH] += _fen(paid)
            self.book[RECEIVABLE] = _fen(owed(self.receivables))
        return locked

    def taxed(self, lo: int, hi: int) -> TaxedLots:
        """Return the tax lots with dividends untaxed at `lo`'s open as the kernel's arrays (`TaxedLots`), their
        rates for sales on sessions lo … hi−1."""
        owing = sorted((c, lots) for c, lots in self.lots.items() if any(lot.untaxed for lot in lots))
        width = max((len(lots) for _, lots in owing), default=0)
        slot = np.full(len(self.qty), -1, dtype=np.int64)
        shares, untaxed = (np.zeros((len(owing), width), dtype=np.int64) for _ in range(2))
        bp = np.zeros((len(owing), width, hi - lo), dtype=np.int64)
        for k, (c, lots) in enumerate(owing):
            slot[c] = k
            for j, lot in enumerate(lots):
                shares[k, j], untaxed[k, j] = lot.quantity, _fen(lot.untaxed)
                bp[k, j] = rates_bp(self.days[lo:hi], lot.acquired)
        return slot, shares, untaxed, bp

    def follow(self, before: IntArray, trades: IntArray) -> None:
        """Replay a call's fills (TRADE_FIELDS) from the quantities `before` it: date each position's opening,
        keep its tax lots, and check each sale's dividend tax against `market.dividend_tax.tax_on_sale`."""
        held = before.copy()
        for row, c, buy, quantity, _, _, tax in trades.tolist():
            if buy and held[c] == 0:
                self.opened[c] = row
            held[c] += quantity if buy else -quantity
            if held[c] == 0:
                self.opened[c] = -1
            day = self.days[row]
            if c not in self.owing:  # nothing untaxed: the rule taxes no sale (class docstring)
                if tax:
                    raise AssertionError(f"compiled dividend tax {tax} fen ≠ the rule's 0 CNY ({day}, column {c})")
                if held[c] == 0:  # every lot sold
                    self.fills.pop(c, None)
                    self.lots.pop(c, None)
                else:
                    self.fills.setdefault(c, []).append((row, bool(buy), quantity))
                continue
            if buy:
                self.lots[c] = bought(self.lots[c], day, quantity)
                continue
            due, self.lots[c] = tax_on_sale(self.lots[c], quantity, day)
            if _fen(due) != tax:
                raise AssertionError(f"compiled dividend tax {tax} fen ≠ the rule's {due} CNY ({day}, column {c})")
            if not any(lot.untaxed for lot in self.lots[c]):
                self.owing.discard(c)
            if not self.lots[c]:
                del self.lots[c]

    def _lots(self, c: int) -> tuple[TaxLot, ...] | None:
        """Return column c's tax lots, its kept fills replayed on them first (`bought`, `tax_on_sale`)."""
        lots = self.lots.get(c, ())
        for row, buy, quantity in self.fills.pop(c, ()):
            day = self.days[row]
            lots = bought(lots, day, quantity) if buy else tax_on_sale(lots, quantity, day)[1]
        if lots:
            self.lots[c] = lots
        return self.lots.get(c)


def _fen(cny: Decimal) -> int:
    return int((cny * 100).to_integral_exact())


def _trades(prepared: Prepared, trades: IntArray, days: list[date], account: str) -> list[TradeRecord]:
    symbols = prepared.market.panel.symbols
    reasons = fill_reasons(prepared, trades[:, 0], trades[:, 1], trades[:, 2].astype(np.bool_))
    cny = cache(fen_price)  # a run's prices and fees recur; a Decimal is immutable, so records may share one
    sides = (Side.SELL, Side.BUY)
    out = []
    for (row, col, buy, quantity, price, fees, tax), why in zip(trades.tolist(), reasons, strict=True):
        side, day, symbol = sides[buy], days[row], symbols[col]
        out.append(
            trusted(
                TradeRecord,
                symbol=symbol,
                side=side,
                day=day,
                quantity=quantity,
                price=cny(price),
                fees=cny(fees),
                tax=cny(tax) if tax else Decimal(0),  # as `tax_on_sale` gives it: no tax is a plain 0
                order_id=order_id(day, account, symbol, side),
                why=why,
            )
        )
    return out


def _misses(prepared: Prepared, misses: IntArray, days: list[date]) -> list[UnfilledOrder]:
    symbols = prepared.market.panel.symbols
    return [
        trusted(
            UnfilledOrder,
            day=days[row],
            symbol=symbols[col],
            side=Side.BUY if buy else Side.SELL,
            quantity=quantity,
            filled=filled,
            limit_price=fen_price(limit),
            reason=UNFILLED[reason],
        )
        for row, col, buy, quantity, filled, limit, reason in misses.tolist()
    ]


def _equity(equity: IntArray, rows: range, days: list[date]) -> list[EquityPoint]:
    total, cash, value = (equity[rows.start : rows.stop, k] for k in range(3))
    exposure = np.where(total > 0, value.astype(np.float64) / np.where(total > 0, total, 1), 0.0)
    return [
        trusted(EquityPoint, day=days[row], equity=e / 100, cash=c / 100, exposure=x)
        for row, e, c, x in zip(rows, total.tolist(), cash.tolist(), exposure.tolist(), strict=True)
    ]
