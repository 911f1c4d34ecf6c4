"""Build the risk engine from settings: Redis-backed switch and reservations when Redis is configured."""

from __future__ import annotations

from alphamoe.kv.client import connect
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.reservations import MemoryReservations, RedisReservations, ReservationBook
from alphamoe.risk.switch import MemorySwitch, RedisSwitch, TradingSwitch
from alphamoe.settings import Settings


def risk_stores(settings: Settings) -> tuple[TradingSwitch, ReservationBook]:
    """Return the switch and reservation book every risk replica of this deployment shares."""
    if settings.redis_url:
        client = connect(settings.redis_url)
        return RedisSwitch(client), RedisReservations(client)
    return MemorySwitch(), MemoryReservations()


def build_risk_engine(settings: Settings, secret: bytes) -> RiskEngine:
    switch, reservations = risk_stores(settings)
    return RiskEngine(settings.risk, secret, settings.commission, reservations=reservations, switch=switch)
