"""The full-QMT pair of the tests: the bridge script in a simulated QMT runtime, and the qmt adapter, on one Redis."""

from __future__ import annotations

from alphamoe.broker.qmt.adapter import QmtBroker
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.qmt_runtime import SimulatedQmt
from alphamoe.broker.simulated.traps import Traps
from alphamoe.kv.client import connect
from support.broker_day import DAY

FAST_POLL = "5nMilliSecond"


def qmt_runtime(exchange: SimExchange, redis_url: str, traps: Traps | None = None) -> SimulatedQmt:
    """A started QMT client running the bridge script for account "acc" against `exchange`."""
    runtime = SimulatedQmt(
        exchange,
        "acc",
        config={"REDIS_URL": redis_url, "ACCOUNT_ID": "acc", "POLL_PERIOD": FAST_POLL},
        traps=traps,
    )
    runtime.start()
    return runtime


def qmt_broker(redis_url: str, *, background: bool = False, day: object = DAY) -> QmtBroker:
    """A qmt adapter for account "acc" (no background poller by default: reports come with each command)."""
    assert day is not None
    return QmtBroker(connect(redis_url), "acc", DAY if day is DAY else day, background=background, reply_timeout_s=2.0)  # type: ignore[arg-type]


def qmt_pair(exchange: SimExchange, redis_url: str, traps: Traps | None = None) -> tuple[SimulatedQmt, QmtBroker]:
    return qmt_runtime(exchange, redis_url, traps), qmt_broker(redis_url)
