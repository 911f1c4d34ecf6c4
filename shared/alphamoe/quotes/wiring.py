"""A quote source from its name (`--quotes`, ALPHAMOE_QUOTES__SOURCE): the one place the choice is made."""

from __future__ import annotations

from datetime import time

from alphamoe.errors import ConfigurationError, DataError
from alphamoe.market.bars import BarStore
from alphamoe.quotes.replay import StoreReplay
from alphamoe.quotes.source import SESSION_CLOSE, QuoteSource
from alphamoe.settings import Settings

SOURCES = ("xtdata", "replay")


def quote_source(name: str, settings: Settings) -> QuoteSource:
    """Return the named source: `replay` on the replay store (default: the settings' bar store), `xtdata` on
    xtquant (imported when used)."""
    if name == "replay":
        return StoreReplay(BarStore(settings.quotes.replay_store or settings.data, s3=settings.s3))
    if name == "xtdata":
        from alphamoe.quotes.xtdata import XtdataQuotes

        return XtdataQuotes()
    raise ConfigurationError(f"--quotes {name!r} is not a quote source; expected one of {', '.join(SOURCES)}")


def configured_quotes(settings: Settings) -> QuoteSource | None:
    """Return the source ALPHAMOE_QUOTES__SOURCE names for a cluster's functions, None for `none` (bars)."""
    source = settings.quotes.source
    return None if source == "none" else quote_source(source, settings)


def parse_until(text: str | None) -> time:
    """Return `--until HH:MM` as a time (None: the close)."""
    if text is None:
        return SESSION_CLOSE
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise DataError(f"--until {text!r} is not a time of day (expected HH:MM)") from None
