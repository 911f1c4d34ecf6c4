"""Accounts on the simulated counters: a simulated MiniQMT (xtquant trader) and a simulated full QMT (the bridge
script in the QMT runtime, over a real Redis), each over its own SimExchange quoting the day's opens.

The factories are marked `simulated_sessions`, as a deployment wires a simulator; the sessions declare
themselves simulated from what they talk to, so execute lets them fill a past day's simulated approvals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from alphamoe.accounts.config import AccountConfig
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.qmt.adapter import QmtBroker
from alphamoe.broker.service import BrokerFactory
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.qmt_runtime import SimulatedQmt
from alphamoe.broker.simulated.xtquant import SimulatedXtQuantTrader, StockAccount
from alphamoe.broker.simulation import simulated_sessions
from alphamoe.kv.client import connect
from alphamoe.market.bars import BarStore
from alphamoe.portfolio import AccountState

FAST_POLL = "5nMilliSecond"


def day_opens(store: Path, day: date) -> dict[str, Decimal]:
    """The day's opens: a marketable limit fills there, as the paper broker's does at the open."""
    return {
        s: Decimal(str(bar.open)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for s, bar in BarStore(store).day(day).items()
    }


@dataclass
class Counters:
    """The simulated counter of each non-paper account, and the QMT runtimes running the bridge script."""

    exchanges: dict[str, SimExchange] = field(default_factory=dict)
    brokers: dict[str, BrokerFactory] = field(default_factory=dict)
    runtimes: dict[str, SimulatedQmt] = field(default_factory=dict)


@contextmanager
def simulated_counters(
    accounts: tuple[AccountConfig, ...], store: Path, day: date, redis_url: str
) -> Iterator[Counters]:
    """Start a counter (and, for qmt, a QMT runtime) per miniqmt/qmt account; stop the runtimes after."""
    counters = Counters()
    opens = day_opens(store, day)
    for account in accounts:
        if account.adapter not in ("miniqmt", "qmt"):
            continue
        exchange = SimExchange(AccountState(account_id=account.id, trading_day=day, cash=account.capital), opens)
        counters.exchanges[account.id] = exchange
        if account.adapter == "miniqmt":
            counters.brokers[account.id] = _miniqmt(account, exchange)
        else:
            runtime = SimulatedQmt(
                exchange,
                account.id,
                config={"REDIS_URL": redis_url, "ACCOUNT_ID": account.id, "POLL_PERIOD": FAST_POLL},
            )
            runtime.start()
            counters.runtimes[account.id] = runtime
            counters.brokers[account.id] = _qmt(account, redis_url)
    try:
        yield counters
    finally:
        for runtime in counters.runtimes.values():
            runtime.stop()


def _miniqmt(account: AccountConfig, exchange: SimExchange) -> BrokerFactory:
    def trader(path: str, session: int) -> SimulatedXtQuantTrader:
        return SimulatedXtQuantTrader(path, session, exchange=exchange)

    def session(day: date) -> Broker:
        return MiniQmtBroker(
            "sim", account.id, day, trader_factory=trader, account_factory=StockAccount, commission=account.fees
        )

    return simulated_sessions(session)


def _qmt(account: AccountConfig, redis_url: str) -> BrokerFactory:
    def session(day: date) -> Broker:
        return QmtBroker(connect(redis_url), account.id, day, commission=account.fees, reply_timeout_s=2.0)

    return simulated_sessions(session)


class UndeclaredTrader(SimulatedXtQuantTrader):
    """A trader that does not declare itself simulated, as xtquant's real XtQuantTrader does not: what execute
    meets when a wiring marked simulated is in fact pointed at a real client."""

    simulated = False
