"""The same strategy and decisions run through Backtrader, with the A-share broker of `bt_broker`.

Each stock is a Backtrader data feed over every session of the panel (a suspended or not-yet-listed day
is a bar with `traded` = 0, carried prices and no volume, which the broker never fills). At each bar t the
wrapped strategy lets open day orders expire, then asks `decisions.DayDecider` (the live size and risk
code, the one the vectorised engine calls) for session t+1's orders from its own account: Backtrader's
cash and positions. Backtrader then matches them on bar t+1. The two engines share the decisions and
nothing of the matching, the fees, the accounting or the equity: a parity test compares those.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any, cast

import backtrader as bt
import numpy as np
import numpy.typing as npt
import pandas as pd

from alphamoe.backtest.bt_broker import AShareBroker, AShareCommission
from alphamoe.backtest.decisions import DayDecider
from alphamoe.backtest.engine import Prepared, build_result
from alphamoe.backtest.explain import explained
from alphamoe.backtest.result import BacktestResult, EquityPoint, TradeRecord, UnfilledOrder
from alphamoe.backtest.trusted import trusted
from alphamoe.events.payloads import OrderProposed
from alphamoe.market.bars import Panel
from alphamoe.market.corporate import Receivable, carry, owed, settle
from alphamoe.market.ticks import to_price
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import Side

FEED_COLUMNS = ("open", "high", "low", "close", "volume", "prev_close", "traded", "st", "listing")


class _Feed(bt.feed.DataBase):  # type: ignore[misc]
    # bars from a NumPy block (rows = sessions, columns = FEED_COLUMNS): PandasData's per-cell .iloc costs
    # more than the whole backtest
    lines = ("prev_close", "traded", "st", "listing")
    params = (("block", None), ("stamps", None))

    def start(self) -> None:
        super().start()
        self._row = 0

    def _load(self) -> bool:
        block, stamps = self.p.block, self.p.stamps
        if self._row >= len(stamps):
            return False
        values, lines = block[self._row], cast(Any, self.lines)
        lines.datetime[0] = stamps[self._row]
        for k, name in enumerate(FEED_COLUMNS):
            getattr(lines, name)[0] = values[k]
        lines.openinterest[0] = 0.0
        self._row += 1
        return True


def feed_block(panel: Panel, i: int) -> npt.NDArray[np.float64]:
    """Return stock i's bars over every panel session; days without a bar carry prices and trade nothing."""
    traded = panel.traded[:, i]
    raw = pd.DataFrame(np.column_stack([panel.open[:, i], panel.high[:, i], panel.low[:, i], panel.close[:, i]]))
    prices = raw.ffill().bfill().fillna(0.0).to_numpy()
    prev = pd.Series(panel.prev_close[:, i]).ffill().bfill().fillna(0.0).to_numpy()
    block: npt.NDArray[np.float64] = np.column_stack(
        [
            prices,
            np.where(traded, np.nan_to_num(panel.volume[:, i]), 0.0),
            prev,
            traded.astype(np.float64),
            panel.st[:, i].astype(np.float64),
            panel.listing_index[:, i].astype(np.float64),
        ]
    )
    return block


class _Wrapped(bt.Strategy):  # type: ignore[misc]
    params = (("prepared", None), ("decider", None))

    def __init__(self) -> None:
        self.prepared: Prepared = self.p.prepared
        self.decider: DayDecider = self.p.decider
        self.feeds = {d._name: d for d in self.datas}
        self.open_orders: list[bt.Order] = []
        self.order_ids: dict[int, str] = {}
        self.proposed: dict[int, OrderProposed] = {}  # the day's orders by Backtrader ref
        self.misses: list[UnfilledOrder] = []
        self.trades: list[TradeRecord] = []
        self.equity: list[EquityPoint] = []
        self.last_price: dict[str, Decimal] = {}
        self.opened: dict[str, date] = {}  # the day each position was opened: its dividend tax holding period
        self.receivables: tuple[Receivable, ...] = ()  # dividends gone ex, cash on their pay dates

    def prenext(self) -> None:
        self.next()

    def next(self) -> None:
        row = len(self.datas[0]) - 1
        for order in self.open_orders:  # day orders expire at the close
            if order.alive():
                self.cancel(order)
            self._miss(order, self.prepared.day(row))
        self.open_orders, self.proposed = [], {}
        for name, data in self.feeds.items():
            if data.traded[0]:
                self.last_price[name] = to_price(data.close[0])
        if row >= self.prepared.market.first_row:
            self._mark(row)
        nxt = row + 1
        if nxt < self.prepared.market.first_row or nxt >= len(self.prepared.market.panel.dates):
            return
        self._apply_actions(nxt)
        for order in self.decider.decide(nxt, self._account(nxt)):
            self._submit(order)

    def _apply_actions(self, row: int) -> None:
        # the corporate actions of session `row`, at its open (`market.corporate.carry`, as `Ledger.opening`):
        # Backtrader's position and cash carried over them, the new shares locked for the session (T+1), the
        # dividends owed paid on their pay dates
        actions, day = self.prepared.actions_at(row), self.prepared.day(row)
        for symbol in sorted({a.symbol for a in actions} & self.feeds.keys()):
            data = self.feeds[symbol]
            position = self.getposition(data)
            if int(position.size) <= 0:
                continue
            got = carry(
                symbol,
                int(position.size),
                Decimal(0),
                actions,
                opened=self.opened.get(symbol),
                last_price=self.last_price[symbol],
                day=day,
                lots=self.broker.lots.get(symbol),
            )
            self.broker.lots[symbol] = got.lots
            position.price = position.price * position.size / got.quantity
            position.size = got.quantity
            self.broker.cash += float(got.paid)
            self.receivables += got.receivables
            self.broker.locked[data] += got.new_shares
            self.last_price[symbol] = got.price
        if self.receivables:
            paid, self.receivables = settle(self.receivables, day)
            self.broker.cash += float(paid)

    def _account(self, row: int) -> AccountState:
        positions = []
        for name in sorted(self.feeds):
            size = int(self.getposition(self.feeds[name]).size)
            if size > 0:
                positions.append(
                    trusted(
                        Position,
                        symbol=name,
                        quantity=size,
                        sellable=size - self.broker.locked[self.feeds[name]],
                        opened=self.opened.get(name),
                        cost=Decimal("0"),
                        last_price=self.last_price[name],
                    )
                )
        return trusted(
            AccountState,
            account_id=self.prepared.config.account_id,
            trading_day=self.prepared.day(row),
            cash=Decimal(f"{self.broker.getcash():.2f}"),
            positions=tuple(positions),
            receivables=self.receivables,
        )

    def _submit(self, order: OrderProposed) -> None:
        data = self.feeds[order.symbol]
        place = self.buy if order.side == Side.BUY else self.sell
        placed = place(data=data, size=order.quantity, price=float(order.limit_price), exectype=bt.Order.Limit)
        self.order_ids[placed.ref] = order.order_id
        self.proposed[placed.ref] = order
        self.open_orders.append(placed)

    def _miss(self, placed: bt.Order, day: date) -> None:
        # an order not filled in full, listed as `engine.fill_order` lists it: the broker's reason, else the
        # bar never reached the limit (nothing filled) or the volume cap stopped a partial fill
        order = self.proposed[placed.ref]
        filled = int(abs(placed.executed.size))
        if filled >= order.quantity:
            return
        reason = self.broker.reasons.pop(placed.ref, None)
        if reason is None:
            reason = "volume_cap" if filled else "limit_not_reached"
            if not filled:
                self.broker.unfilled[reason] += 1
        self.misses.append(
            trusted(
                UnfilledOrder,
                day=day,
                symbol=order.symbol,
                side=order.side,
                quantity=order.quantity,
                filled=filled,
                limit_price=order.limit_price,
                reason=reason,
            )
        )

    def _mark(self, row: int) -> None:
        value = sum(
            (int(self.getposition(d).size) * self.last_price[n] for n, d in self.feeds.items() if n in self.last_price),
            Decimal("0"),
        )
        cash = self.broker.getcash()
        total = cash + float(owed(self.receivables) + value)
        self.equity.append(
            EquityPoint(
                day=self.prepared.day(row),
                equity=total,
                cash=cash,
                exposure=float(value) / total if total > 0 else 0.0,
            )
        )

    def notify_order(self, order: bt.Order) -> None:
        if order.status not in (order.Partial, order.Completed) or not order.executed.size:
            return
        quantity = int(abs(order.executed.size))
        name, size = order.data._name, int(self.getposition(order.data).size)
        if size == 0:
            self.opened.pop(name, None)
        elif order.isbuy():
            self.opened.setdefault(name, bt.num2date(order.executed.dt).date())
        self.trades.append(
            trusted(
                TradeRecord,
                symbol=order.data._name,
                side=Side.BUY if order.isbuy() else Side.SELL,
                day=bt.num2date(order.executed.dt).date(),
                quantity=quantity,
                price=to_price(order.executed.price),
                fees=Decimal(f"{order.executed.comm:.2f}"),
                tax=self.broker.taxes.get(order.ref, Decimal(0)),
                order_id=self.order_ids[order.ref],
            )
        )


def run_backtrader(prepared: Prepared) -> BacktestResult:
    """Replay `prepared` through Backtrader with the A-share broker and return the same result shape."""
    t0 = time.perf_counter()
    config, panel = prepared.config, prepared.market.panel
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=False)
    broker = AShareBroker(volume_cap=config.volume_cap, schedule=config.commission)  # type: ignore[call-arg]
    broker.setcash(float(config.initial_cash))
    cerebro.broker = broker
    stamps = [bt.date2num(pd.Timestamp(d).to_pydatetime()) for d in panel.dates]
    for i, symbol in enumerate(panel.symbols):
        data = _Feed(block=feed_block(panel, i), stamps=stamps, name=symbol)
        cerebro.adddata(data, name=symbol)
        broker.addcommissioninfo(AShareCommission(symbol=symbol, schedule=config.commission, feed=data), name=symbol)
    decider = prepared.decider()
    cerebro.addstrategy(_Wrapped, prepared=prepared, decider=decider)
    wrapped: Any = cerebro.run()[0]
    return build_result(
        prepared,
        "backtrader",
        explained(prepared, _fill_order(wrapped.trades)),
        wrapped.equity,
        rejected=decider.rejected,
        unfilled=broker.unfilled,
        unfilled_orders=wrapped.misses,
        loop_s=time.perf_counter() - t0,
        notes=["matching: Backtrader's limit orders with the A-share broker (bt_broker), float cash"],
    )


def _fill_order(trades: list[TradeRecord]) -> list[TradeRecord]:
    # Backtrader notifies in its own order; list fills by day, sells first, then order id (the engine's order)
    return sorted(trades, key=lambda t: (t.day, t.side != Side.SELL, t.order_id))
