"""Execute's broker and journal from settings: the one place the adapter choice is made."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from alphamoe.broker.clutch import RedisClutch
from alphamoe.broker.config import BrokerSettings
from alphamoe.broker.desk import DeskConfig
from alphamoe.broker.journal import Journal, MemoryJournal, RedisJournal
from alphamoe.broker.lock import DayLocks
from alphamoe.broker.protocol import Broker
from alphamoe.errors import ConfigurationError
from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk.reservations import RedisReservations


def journal_for(redis_url: str | None, account_id: str, *, adapter: str = "paper") -> Journal:
    """Return the Redis journal when Redis is configured, else the in-process one (embedded paper run only).

    A live adapter refuses to start without Redis: an in-process journal guards nothing against a second
    process sending the same client order ids, and dies with this one while the broker keeps the orders.
    """
    if redis_url is None:
        if adapter != "paper":
            raise ConfigurationError(
                f"ALPHAMOE_BROKER__ADAPTER={adapter} needs Redis (ALPHAMOE_REDIS_URL) for its order journal and "
                "its lease per account and day: without them two processes could send the same orders twice. "
                "Run a Redis (`alphamoe cluster up` starts one) or use the paper adapter"
            )
        return MemoryJournal()
    from alphamoe.kv.client import connect

    return RedisJournal(connect(redis_url), account_id)


def broker_factory(
    settings: BrokerSettings, account_id: str, commission: CommissionSchedule, redis_url: str | None = None
) -> Any:
    """Return (day → Broker) for a live adapter, or None for the paper default (the stage builds it)."""
    if settings.adapter == "paper":
        return None
    if settings.adapter == "qmt":
        if not settings.qmt_account or redis_url is None:
            raise ConfigurationError(
                "ALPHAMOE_BROKER__ADAPTER=qmt needs ALPHAMOE_BROKER__QMT_ACCOUNT and ALPHAMOE_REDIS_URL "
                "(the Redis the QMT bridge script talks to)"
            )
        qmt_account, qmt_url, timeout = settings.qmt_account, redis_url, settings.qmt_reply_timeout_s

        def qmt(day: date) -> Broker:
            from alphamoe.broker.qmt.adapter import QmtBroker
            from alphamoe.kv.client import connect

            return QmtBroker(connect(qmt_url), qmt_account, day, commission=commission, reply_timeout_s=timeout)

        return qmt
    if settings.adapter == "remote":
        if not settings.url or settings.token is None:
            raise ConfigurationError("ALPHAMOE_BROKER__ADAPTER=remote needs ALPHAMOE_BROKER__URL and __TOKEN")
        url, token, verify = settings.url, settings.token.get_secret_value(), settings.tls_verify

        def remote(day: date) -> Broker:
            from alphamoe.broker.remote import RemoteBroker

            return RemoteBroker(url, token, day, verify=verify)

        return remote
    if not settings.qmt_path or not settings.qmt_account:
        raise ConfigurationError("ALPHAMOE_BROKER__ADAPTER=miniqmt needs ALPHAMOE_BROKER__QMT_PATH and __QMT_ACCOUNT")
    path, account = settings.qmt_path, settings.qmt_account

    def miniqmt(day: date) -> Broker:
        from alphamoe.broker.miniqmt import MiniQmtBroker

        return MiniQmtBroker(path, account, day, commission=commission)

    return miniqmt


def execute_options(
    settings: BrokerSettings, redis_url: str | None, account_id: str, commission: CommissionSchedule
) -> dict[str, Any]:
    """Keyword arguments of ExecuteStage for these settings.

    With Redis, execute shares risk's reservation book (same keys as `risk.wiring.risk_stores`) over the
    journal's connection, to free an ended order's working-order claim. Without Redis there is no shared
    book: risk's memory book belongs to its stage, and nothing is released. A live adapter needs Redis
    and takes a lease per account and day before it opens a desk (`broker/lock.py`).
    """
    live = settings.adapter != "paper"
    journal = journal_for(redis_url, account_id, adapter=settings.adapter)
    locks = None
    if live:
        assert isinstance(journal, RedisJournal), "journal_for refuses a live adapter without Redis"
        locks = DayLocks(journal.client, account_id, ttl_s=settings.lock_ttl_s)
    return {
        "journal": journal,
        "reservations": RedisReservations(journal.client) if isinstance(journal, RedisJournal) else None,
        "brokers": broker_factory(settings, account_id, commission, redis_url),
        "desk": DeskConfig(wait_s=settings.wait_s, fees=commission),
        "reconcile_every_s": settings.reconcile_interval_s if live else None,
        "today": shanghai_today if live else None,
        "locks": locks,
        "clutch": RedisClutch(journal.client) if isinstance(journal, RedisJournal) else None,  # beside the switch
    }


def shanghai_today() -> date:
    """The trading day by the exchange's clock (Asia/Shanghai), whatever the host's time zone."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
