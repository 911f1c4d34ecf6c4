"""Pydantic v2 payloads, one per event type of DESIGN.md §1. Frozen: a new fact is a new event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alphamoe.types import Board, ExpertKind, OrderStatus, Side, Symbol, Verdict

Price = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, description="CNY, on the 0.01 tick")]
Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2, description="CNY, exact to the fen")]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Payload(BaseModel):
    """Base of every event payload: immutable, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    EVENT: ClassVar[str]
    schema_version: Literal[1] = 1
    trading_day: date


class MarketOpen(Payload):
    """Start one pipeline run for a trading day."""

    EVENT: ClassVar[str] = "market.open"
    account_id: str = "paper"
    force: bool = False


class MarketClose(Payload):
    """End the trading day: cancel open orders, reconcile, report."""

    EVENT: ClassVar[str] = "market.close"
    account_id: str = "paper"


class SignalGenerated(Payload):
    """One quant candidate for one stock and day, with the statistics Kelly needs."""

    EVENT: ClassVar[str] = "signal.generated"
    signal_id: str
    symbol: Symbol
    board: Board
    strategy: str
    rank: int = Field(ge=0, description="0 = best score of the day's scan")
    score: float
    reference_price: Price = Field(description="previous session's close: the last price the decision saw")
    prev_close: Price
    features: dict[str, float]
    p_win: Probability = Field(description="shrunk historical win rate of the strategy's trades")
    payoff: float = Field(gt=0, description="shrunk average win / average loss")
    n_trades: int = Field(ge=0, description="own past trades behind p_win and payoff")
    st: bool = False


class ScanCompleted(Payload):
    """The scan's summary: how many signals the batch barrier in size must wait for."""

    EVENT: ClassVar[str] = "scan.completed"
    strategy: str
    universe_size: int = Field(ge=0)
    candidates: int = Field(ge=0)
    excluded: dict[str, int] = Field(default_factory=dict, description="stocks left out, by reason")
    data_until: date = Field(description="last bar the scan saw (D-1): the point-in-time boundary")
    exits: tuple[Symbol, ...] = Field(default=(), description="stocks whose strategy exit fired: size sells holdings")


class ExpertOpinion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    expert: str
    kind: ExpertKind
    verdict: Verdict
    confidence: Probability
    reasoning: str
    # LLM experts only: where the answer came from and what it cost (details in the decision record)
    model: str | None = None
    call_key: str | None = Field(None, description="decision-record key of the call behind this opinion")
    outcome: str | None = Field(None, description="ok | repaired | invalid | timeout | … | replayed | budget")
    tokens: int | None = Field(None, ge=0)
    cost_cny: Decimal | None = Field(None, ge=0, description="what the call cost; 0 when answered from the record")
    latency_ms: float | None = Field(None, ge=0)
    fallback: str | None = Field(None, description="why the symbolic form judged instead, or why it abstained")


class GateChoice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    expert: str
    weight: float = Field(ge=0)
    selected: bool
    why: str


class SignalRouted(Payload):
    """The router's verdict on one signal; only `confirm` can lead to an order."""

    EVENT: ClassVar[str] = "signal.routed"
    signal: SignalGenerated
    verdict: Verdict
    confidence: Probability
    gate: tuple[GateChoice, ...]
    opinions: tuple[ExpertOpinion, ...]
    reasoning_summary: str


class OrderProposed(Payload):
    """A sized order, before risk. `order_id` is deterministic in (day, account, symbol, side, strategy)."""

    EVENT: ClassVar[str] = "order.proposed"
    order_id: str
    account_id: str
    symbol: Symbol
    side: Side
    quantity: int = Field(gt=0)
    limit_price: Price
    reference_price: Price
    target_weight: float = Field(ge=0, le=1)
    kelly_fraction: float
    signal_id: str | None = None
    reasons: tuple[str, ...] = ()
    batch_index: int = Field(0, ge=0, description="position in the day's sized batch (risk's barrier)")
    batch_size: int = Field(1, ge=1, description="orders in the day's sized batch")


class UnsizedReason(StrEnum):
    """Why sizing gave a confirmed signal no order (`sizing.allocate`)."""

    BELOW_MIN_CONFIDENCE = "BELOW_MIN_CONFIDENCE"  # router confidence under sizing.min_confidence
    NOT_TRADED = "NOT_TRADED"  # no pre-open reference: suspended or not listed that day
    EXITING = "EXITING"  # the strategy exits the stock the same day: sell only
    BLOCKED = "BLOCKED"  # delisting period or locked at limit-up: risk would refuse the buy
    KELLY_NOT_POSITIVE = "KELLY_NOT_POSITIVE"  # f* = p - (1-p)/b <= 0: no edge
    HELD_AT_CAP = "HELD_AT_CAP"  # the holding already fills the per-stock cap
    OUTWEIGHED = "OUTWEIGHED"  # another signal on the same stock weighed more and was sized instead
    MAX_ORDERS = "MAX_ORDERS"  # not among the sizing.max_orders best weights
    GROUP_CAP = "GROUP_CAP"  # its board or industry is full: the cap scaled it to 0
    EXPOSURE_CAP = "EXPOSURE_CAP"  # total exposure already at its ceiling
    LOT_ABOVE_TARGET = "LOT_ABOVE_TARGET"  # one board lot at the limit costs more than the capped target
    CASH = "CASH"  # cash after the reserve and earlier orders buys no lot with its fees
    BELOW_MIN_ORDER_VALUE = "BELOW_MIN_ORDER_VALUE"  # the lot-valid buy is worth less than sizing.min_order_value
    NO_EQUITY = "NO_EQUITY"  # the account has no equity to size against


class UnsizedSignal(BaseModel):
    """A confirmed signal that got no order: the reason and sizing's arithmetic up to where it stopped."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: Symbol
    signal_id: str
    code: UnsizedReason
    reason: str = Field(description="the reason as a sentence, with its numbers")
    p_win: float
    payoff: float
    kelly: float = Field(description="f* = p - (1-p)/b, floored at 0")
    kelly_fraction: float = Field(description="the multiplier sizing takes of f*")
    confidence: float
    target_weight: float = Field(0.0, description="weight of equity after the caps and the exposure scale")
    limit_price: Price | None = Field(None, description="the buy limit, when sizing got that far")
    lot: int | None = Field(None, description="the smallest valid buy (shares), when sizing got that far")
    quantity: int = Field(0, ge=0, description="lot-valid shares it would have bought (BELOW_MIN_ORDER_VALUE)")
    notes: tuple[str, ...] = Field((), description="the sizing arithmetic, as on a proposed order")


class SizingCompleted(Payload):
    """Size's summary of one batch: how many orders it proposed, and why each other confirmed signal got none.

    Published beside the batch's `order.proposed` events (also when there are none); no stage consumes it,
    the day report and `alphamoe explain` read it from the run's log.
    """

    EVENT: ClassVar[str] = "sizing.completed"
    account_id: str
    proposed: int = Field(ge=0, description="orders proposed in the batch")
    confirmed: int = Field(ge=0, description="confirmed signals the batch saw")
    unsized: tuple[UnsizedSignal, ...] = ()
    notes: tuple[str, ...] = Field((), description="about the whole batch, e.g. its barrier timed out")


class RuleViolation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str
    message: str


class OrderApproved(Payload):
    """An order that passed every risk rule, signed with the approval HMAC over the order and its binding.

    The binding (session, expiry, simulated) is what makes an approval good for one session only: execute
    refuses it for another day, past its expiry, or (simulated) on a live broker (DESIGN.md §5).
    """

    EVENT: ClassVar[str] = "order.approved"
    order: OrderProposed
    checks: tuple[str, ...]
    session: date = Field(description="the exchange session the order may be sent in")
    expires_at: AwareDatetime = Field(description="instant after which execute refuses the approval")
    simulated: bool = Field(description="from a simulation, replay or backtest: only a paper broker may fill it")
    signature: str = Field(pattern=r"^[0-9a-f]{64}$")


class OrderRejected(Payload):
    EVENT: ClassVar[str] = "order.rejected"
    order: OrderProposed
    violations: tuple[RuleViolation, ...] = Field(min_length=1)
    trading_state: str


class _OrderUpdate(Payload):
    order_id: str
    client_order_id: str
    account_id: str
    symbol: Symbol
    side: Side
    status: OrderStatus


class OrderSubmitted(_OrderUpdate):
    EVENT: ClassVar[str] = "order.submitted"
    quantity: int = Field(gt=0)
    limit_price: Price
    broker: str


class OrderFilled(_OrderUpdate):
    EVENT: ClassVar[str] = "order.filled"
    fill_quantity: int = Field(gt=0)
    fill_price: Price
    fees: Money
    cumulative_quantity: int = Field(gt=0)


class OrderCancelled(_OrderUpdate):
    EVENT: ClassVar[str] = "order.cancelled"
    filled_quantity: int = Field(ge=0)
    reason: str


class OrderFailed(_OrderUpdate):
    EVENT: ClassVar[str] = "order.failed"
    reason: str


class DataReady(Payload):
    """The evening job brought `trading_day`'s close into the store and checked it: D+1 may open on it."""

    EVENT: ClassVar[str] = "data.ready"
    source: str = Field(description="the data source that served the day (ALPHAMOE_DATA_SOURCE__NAME)")
    admitted: list[date] = Field(description="sessions the update published into the store")
    quarantined: dict[str, list[str]] = Field(
        default_factory=dict, description="session (YYYY-MM-DD) → why its rows were held back, not published"
    )
    attempts: int = Field(ge=1, description="attempts the update took (retries after a vendor failure)")
    evidence_added: int | None = Field(
        None,
        description="evidence items the step added to the archive (None: no evidence source, or its fetch failed "
        "and is retried the next evening)",
    )


class AlertRaised(Payload):
    """Something an operator must see now: the evening update gave up, or the day was refused on stale data.

    No notification channel yet: the event on its stream, the clock's log line and the day report are the alert.
    """

    EVENT: ClassVar[str] = "alert.raised"
    code: Literal["DATA_UPDATE_FAILED", "STALE_DATA", "EVIDENCE_UPDATE_FAILED"]
    message: str


PREFIX = "com.alphamoe."
EVENT_TYPES: dict[str, type[Payload]] = {
    PREFIX + model.EVENT: model
    for model in (
        MarketOpen,
        MarketClose,
        SignalGenerated,
        ScanCompleted,
        SignalRouted,
        OrderProposed,
        SizingCompleted,
        OrderApproved,
        OrderRejected,
        OrderSubmitted,
        OrderFilled,
        OrderCancelled,
        OrderFailed,
        DataReady,
        AlertRaised,
    )
}


def event_type_of(payload: Payload | type[Payload]) -> str:
    return PREFIX + payload.EVENT
