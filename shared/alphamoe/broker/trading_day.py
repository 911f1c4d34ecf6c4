"""A broker session only on a trading day: no login attempts, so no reconnect loop, on any other day.

On a weekend or holiday the clients refuse to log in or drop at once, and a desk that keeps reconnecting
loops all day (silver6wings/SilverQuant #51). An adapter asks the calendar first and, on a day that is not
a session, raises at once with the reason and the next trading day, without touching the client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

from alphamoe.broker.protocol import BrokerUnavailableError
from alphamoe.errors import NoTradingDayError
from alphamoe.market.calendar import TradingCalendar

IsSession = Callable[[date], None]
"""Raises NoTradingDayError when the day is not a trading session."""


class MarketClosedError(BrokerUnavailableError):
    """Not a trading day: the adapter did not try to log in, and will not on this day."""


@cache
def _calendar() -> TradingCalendar:
    return TradingCalendar()


def exchange_sessions(day: date) -> None:
    """The XSHG calendar's check (exchange_calendars, loaded once)."""
    _calendar().require_session(day)


def require_trading_day(adapter: str, day: date, check: IsSession | None = None) -> None:
    """Raise MarketClosedError, naming the day and the next session, when `day` is not a trading day."""
    try:
        (check or exchange_sessions)(day)
    except NoTradingDayError as exc:
        raise MarketClosedError(f"{adapter}: no login, {exc}") from None
