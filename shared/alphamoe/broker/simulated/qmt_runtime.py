"""A simulated full-QMT Python runtime: the names QMT gives a strategy script, over a SimExchange.

It loads the real bridge script file (`broker/qmt/bridge_script.py`), puts `passorder`, `cancel` and
`get_trade_detail_data` in its namespace as QMT does, calls `init(ContextInfo)`, then runs QMT's event loop
in a thread: the `ContextInfo.run_time` timers, and the order/deal callbacks queued by the counter, one at a
time on that thread. passorder returns nothing and its reports come later, as in QMT. Objects carry QMT's
`m_` field names and status codes (48–57, 57 废单 with `m_strCancelInfo`); the API reference followed is
litaolemo/xtquant_big_convert docs/BIGQMT_INNER_PYTHON_API_REFERENCE.md. `restart()` is the client's daily
restart: the script stops, its state is lost, and a new run starts with a new bridge id. Traps (`Traps`)
switch on the field's misbehaviours.
"""

from __future__ import annotations

import importlib.util
import itertools
import threading
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from alphamoe.broker.simulated.exchange import SimExchange, SimOrder, SimTrade
from alphamoe.broker.simulated.traps import Traps
from alphamoe.broker.xtconst import ORDER_JUNK
from alphamoe.types import Side

SCRIPT = Path(__file__).resolve().parent.parent / "qmt" / "bridge_script.py"
BUY, SELL = 23, 24  # passorder opType
OFFSET_BUY, OFFSET_SELL = 48, 49  # m_nOffsetFlag
_runs = itertools.count(1)


def _period_s(period: str) -> float:
    number, _, unit = period.partition("n")
    scale = {"MilliSecond": 0.001, "Second": 1.0}.get(unit)
    if scale is None:
        raise ValueError(f"run_time period {period!r}: the simulation knows nMilliSecond and nSecond")
    return int(number) * scale


class ContextInfo:
    """The strategy context QMT passes to every function: the account binding and the timers."""

    def __init__(self) -> None:
        self.accounts: list[str] = []
        self.timers: list[tuple[str, float]] = []

    def set_account(self, account: str) -> None:
        self.accounts.append(account)

    def run_time(self, func_name: str, period: str, start_time: str) -> None:
        self.timers.append((func_name, _period_s(period)))

    def is_last_bar(self) -> bool:
        return True


class SimulatedQmt:
    """One QMT client logged in to one stock account, running the bridge script against a counter."""

    def __init__(
        self,
        exchange: SimExchange,
        account_id: str,
        *,
        config: dict[str, Any] | None = None,
        traps: Traps | None = None,
        script: Path = SCRIPT,
    ) -> None:
        self.exchange, self.account_id, self.script = exchange, account_id, script
        self.config = config or {}
        self.traps = traps or Traps()
        self.module: ModuleType | None = None
        self.context = ContextInfo()
        self.placed: set[int] = set()  # order ids passorder placed in this run (ids_lost forgets the others)
        self.queue: deque[tuple[str, Any]] = deque()
        self.running = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()
        exchange.listen(self._on_exchange)

    # -- the client --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the client and the strategy: load the script afresh, call init, run the event loop."""
        self.traps.logins += 1
        if self.traps.closed:
            return  # a non-trading day: the client does not log in and the strategy never starts
        spec = importlib.util.spec_from_file_location(f"qmt_strategy_{next(_runs)}", self.script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value in self.config.items():
            setattr(module, name, value)
        module.passorder = self.passorder  # type: ignore[attr-defined]
        module.cancel = self.cancel  # type: ignore[attr-defined]
        module.get_trade_detail_data = self.get_trade_detail_data  # type: ignore[attr-defined]
        module.SIMULATED = True  # type: ignore[attr-defined]  # the bridge says so (`broker/simulation.py`)
        self.module, self.context, self.placed = module, ContextInfo(), set()
        self.queue.clear()
        self.running = True
        module.init(self.context)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="simulated-qmt", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the client: the strategy's stop(), then nothing runs; queued reports are lost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            if self.running and self.module is not None and hasattr(self.module, "stop"):
                self.module.stop(self.context)
            self.running = False
            self.queue.clear()

    def restart(self) -> None:
        """The daily restart (around 09:00): stop, then start a new run of the script."""
        self.stop()
        self.start()

    # -- what QMT gives the script -----------------------------------------------------------------
    def passorder(self, *args: Any) -> None:
        op_type, order_type, account, code, pr_type, price, volume, strategy, quick, remark, _ctx = args
        problem = None
        if op_type not in (BUY, SELL) or order_type != 1101 or pr_type != 11:
            problem = f"opType {op_type} orderType {order_type} prType {pr_type} not supported here"
        elif account != self.account_id:
            problem = f"account {account} is not logged in"
        elif quick != 2:
            problem = "quickTrade must be 2 outside handlebar"
        elif len(str(remark)) >= 24:
            problem = f"userOrderId {remark!r} is 24 characters or more"
        if problem is not None:
            arguments = SimpleNamespace(
                opType=op_type,
                orderType=order_type,
                accountID=account,
                orderCode=code,
                prType=pr_type,
                modelPrice=price,
                modelVolume=volume,
                strategyName=f"{strategy}_&&&_{remark}",
            )
            self._queue("orderError_callback", arguments, problem)
            return
        side = Side.BUY if op_type == BUY else Side.SELL
        with self._lock:
            placed = self.exchange.place(code, side, int(volume), Decimal(str(price)), str(remark), str(strategy))
            self.placed.add(placed.order_id)

    def cancel(self, order_id: str, account_id: str, account_type: str, context: Any) -> bool:
        code = self.exchange.cancel(int(order_id)) if str(order_id).isdigit() else -2
        sent = code == 0
        return (not sent) if self.traps.inverted_cancel else sent

    def get_trade_detail_data(self, account_id: str, account_type: str, datatype: str, *_: Any) -> list[Any]:
        if not self.running or account_id != self.account_id:
            return []
        kind = datatype.lower()
        if kind == "order":
            return [self._order(o, pushed=False) for o in self.exchange.orders.values()]
        if kind == "deal":
            return [self._deal(t) for t in self.exchange.trades]
        if kind == "position":
            state = self.traps.stale_positions or self.exchange.state()
            return [
                SimpleNamespace(
                    m_strExchangeID=p.symbol[-2:],
                    m_strInstrumentID=p.symbol[:-3],
                    m_nVolume=p.quantity,
                    m_nCanUseVolume=p.sellable,
                    m_dOpenPrice=float(p.cost / p.quantity),
                    m_dMarketValue=float(p.last_price * p.quantity),
                )
                for p in state.positions
            ]
        if kind == "account":
            frozen = self.exchange.cash - self.exchange.free_cash()
            return [
                SimpleNamespace(
                    m_strAccountID=self.account_id,
                    m_dBalance=float(self.exchange.state().equity),
                    m_dAvailable=float(self.exchange.free_cash()),
                    m_dFrozenCash=float(frozen),
                    m_strStatus="正常",
                )
            ]
        return []

    # -- the event loop ----------------------------------------------------------------------------
    def _loop(self) -> None:
        due = {name: 0.0 for name, _ in self.context.timers}
        while not self._stop.is_set():
            with self._lock:
                while self.queue and self.running:
                    name, args = self.queue.popleft()
                    handler = getattr(self.module, name, None)
                    if handler is not None:
                        handler(self.context, *args)
                now = time.monotonic()
                for name, period in self.context.timers:
                    if now >= due[name] and self.running:
                        due[name] = now + period
                        getattr(self.module, name)(self.context)
            self._stop.wait(0.002)

    def _queue(self, name: str, *args: Any) -> None:
        if self.running:
            self.queue.append((name, args))

    def _on_exchange(self, item: SimOrder | SimTrade) -> None:
        if not self.running or self.traps.silent:
            return
        if isinstance(item, SimTrade):
            self._queue("deal_callback", self._deal(item))
        else:
            self._queue("order_callback", self._order(item, pushed=True))

    def _order_id(self, order_id: int, pushed: bool) -> int | str | None:
        if self.traps.ids_lost and order_id not in self.placed:
            return None  # an order of an earlier run: its id is not known yet after the restart
        if self.traps.mixed_ids and pushed:
            return order_id  # pushes carry an int, queries a str
        return str(order_id)

    def _order(self, o: SimOrder, *, pushed: bool) -> SimpleNamespace:
        return SimpleNamespace(
            m_strAccountID=self.account_id,
            m_strExchangeID=o.symbol[-2:],
            m_strInstrumentID=o.symbol[:-3],
            m_nOffsetFlag=OFFSET_BUY if o.side is Side.BUY else OFFSET_SELL,
            m_nDirection=48,
            m_dLimitPrice=float(o.price),
            m_nVolumeTotalOriginal=o.quantity,
            m_strOrderSysID=self._order_id(o.order_id, pushed),
            m_nOrderStatus=o.status,
            m_nVolumeTraded=o.filled,
            m_nVolumeTotal=o.quantity - o.filled,
            m_dTradedPrice=float(o.filled_amount / o.filled) if o.filled else 0.0,
            m_strCancelInfo=o.message if o.status == ORDER_JUNK else "",
            m_strErrorMsg=o.message,
            m_strRemark=o.remark,
        )

    def _deal(self, t: SimTrade) -> SimpleNamespace:
        return SimpleNamespace(
            m_strExchangeID=t.symbol[-2:],
            m_strInstrumentID=t.symbol[:-3],
            m_strTradeID=t.trade_id,
            m_strOrderSysID=self._order_id(t.order_id, pushed=True),
            m_nOffsetFlag=OFFSET_BUY if t.side is Side.BUY else OFFSET_SELL,
            m_dPrice=float(t.price),
            m_nVolume=t.quantity,
            m_dTradeAmount=float(t.price * t.quantity),
            m_dComssion=float(t.fees),  # QMT's spelling: the trade's fees as the counter charged them
            m_strRemark=t.remark,
        )
