"""The backtest account: exact cash and holdings, with the T+1 sellable quantity A-shares settle by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from alphamoe.backtest.trusted import trusted
from alphamoe.data.actions.model import CorporateAction
from alphamoe.market.corporate import Receivable, carry, owed, settle
from alphamoe.market.dividend_tax import TaxLot, bought, tax_on_sale
from alphamoe.market.fees import FEN
from alphamoe.portfolio import AccountState, Position


@dataclass
class Holding:
    quantity: int
    sellable: int  # excludes today's buys (T+1)
    cost: Decimal
    last_price: Decimal
    opened: date | None = None  # the day the position was opened: its dividend tax holding period
    lots: tuple[TaxLot, ...] = field(default=())  # by day bought: the dividend tax a sale collects


class Ledger:
    """Cash and holdings between fills; `opening(day)` is the AccountState the live stages would see."""

    def __init__(self, account_id: str, cash: Decimal) -> None:
        self.account_id = account_id
        self.cash = cash
        self.holdings: dict[str, Holding] = {}
        self.receivables: tuple[Receivable, ...] = ()  # dividends gone ex, cash on their pay dates

    def opening(self, day: date, actions: Sequence[CorporateAction] = ()) -> AccountState:
        """Roll to `day`'s open (every share held is now sellable), apply the corporate actions gone ex since
        the last session (`AccountState.roll_to`'s rule: their new shares unlock the next session, their cash is
        a receivable until its pay date), and return the account as live sees it."""
        for h in self.holdings.values():
            h.sellable = h.quantity
        for symbol in sorted({a.symbol for a in actions} & self.holdings.keys()):
            h = self.holdings[symbol]
            got = carry(
                symbol, h.quantity, h.cost, actions, opened=h.opened, last_price=h.last_price, day=day, lots=h.lots
            )
            self.cash += got.paid
            self.receivables += got.receivables
            h.quantity, h.sellable, h.cost, h.last_price, h.lots = (
                got.quantity,
                got.quantity - got.new_shares,
                got.cost,
                got.price,
                got.lots,
            )
        if self.receivables:
            paid, self.receivables = settle(self.receivables, day)
            self.cash += paid
        # trusted: built from exact values every session; validation would dominate the loop
        return trusted(
            AccountState,
            account_id=self.account_id,
            trading_day=day,
            cash=self.cash,
            positions=tuple(
                trusted(
                    Position,
                    symbol=s,
                    quantity=h.quantity,
                    sellable=h.sellable,
                    cost=h.cost,
                    last_price=h.last_price,
                    opened=h.opened,
                    lots=h.lots,
                )
                for s, h in sorted(self.holdings.items())
            ),
            receivables=self.receivables,
        )

    def held(self, symbol: str) -> int:
        h = self.holdings.get(symbol)
        return 0 if h is None else h.quantity

    def sellable(self, symbol: str) -> int:
        h = self.holdings.get(symbol)
        return 0 if h is None else h.sellable

    def buy(self, symbol: str, quantity: int, price: Decimal, fees: Decimal, day: date | None = None) -> None:
        paid = quantity * price + fees
        self.cash -= paid
        h = self.holdings.get(symbol)
        if h is None:
            h = self.holdings[symbol] = Holding(0, 0, Decimal(0), price, day)
        h.quantity += quantity
        h.cost += paid
        if day is not None:
            h.lots = bought(h.lots, day, quantity)

    def sell(self, symbol: str, quantity: int, price: Decimal, fees: Decimal, day: date | None = None) -> Decimal:
        """Book a sale; return the dividend tax it collects (`market.dividend_tax`, on the lots sold on `day`)."""
        h = self.holdings[symbol]
        if quantity > h.sellable:
            raise ValueError(f"T+1: SELL {quantity} of {symbol} exceeds the {h.sellable} sellable shares")
        tax = Decimal(0)
        if day is not None and h.lots:
            tax, h.lots = tax_on_sale(h.lots, quantity, day)
        self.cash += quantity * price - fees - tax
        remaining = h.quantity - quantity
        if remaining == 0:
            del self.holdings[symbol]
            return tax
        h.cost = (h.cost * remaining / h.quantity).quantize(FEN)
        h.quantity, h.sellable = remaining, h.sellable - quantity
        return tax

    def mark(self, symbol: str, price: Decimal) -> None:
        self.holdings[symbol].last_price = price

    @property
    def market_value(self) -> Decimal:
        return sum((h.quantity * h.last_price for h in self.holdings.values()), Decimal("0"))

    @property
    def receivable(self) -> Decimal:
        """Return the CNY of dividends gone ex and not yet paid: equity, not cash."""
        return owed(self.receivables)
