"""One quote snapshot of one stock: what a real-time feed says about the session so far."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alphamoe.types import Symbol


class Quote(BaseModel):
    """A snapshot of `symbol` at `time` (exchange time): the last trade, the day so far, five book levels.

    `volume` and `amount` are cumulative over the day (shares, CNY), as exchange snapshots report them;
    the volume traded between two snapshots is the difference. Before the day's first trade (the 09:25
    auction print) a feed reports `volume` 0 and no trade price.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: Symbol
    time: AwareDatetime
    last: Decimal = Field(ge=0, description="last trade price (0 before the first trade)")
    open: Decimal = Field(ge=0, description="the day's open: the 09:25 auction print")
    high: Decimal = Field(ge=0)
    low: Decimal = Field(ge=0)
    last_close: Decimal = Field(gt=0, description="the exchange's previous close (limits are computed from it)")
    volume: int = Field(ge=0, description="shares traded today so far (cumulative)")
    amount: Decimal = Field(ge=0, description="CNY traded today so far (cumulative)")
    bid_price: tuple[Decimal, ...] = Field((), max_length=5)
    bid_volume: tuple[int, ...] = Field((), max_length=5, description="shares at each bid level")
    ask_price: tuple[Decimal, ...] = Field((), max_length=5)
    ask_volume: tuple[int, ...] = Field((), max_length=5, description="shares at each ask level")

    @property
    def traded(self) -> bool:
        """Whether the day has printed a trade (the auction, or any later one)."""
        return self.volume > 0 and self.last > 0
