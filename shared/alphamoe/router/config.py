"""Router configuration: the gate's weights, the vote's threshold, the symbolic experts' thresholds.

Feature units follow the scan's contract (strategy/trend_breakout.py): returns, margins, gaps,
volatility and the `*_over_*` features are fractions (ma5_over_ma20 = MA5/MA20 − 1, so 0.031 = 3.1%
above), `volume_ratio` is a plain ratio, `amount_20d` is CNY of average daily turnover, `rsi_14` is on
the 0–100 scale, `limit_up_count_5d` counts sessions.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphamoe.errors import ConfigurationError

RouteMode = Literal["none", "symbolic"]
"""How signals are routed, live and in the backtest alike: "none" confirms every signal without the experts
(router/quant_only.py, the quant alone); "symbolic" routes through the mixture of experts (live, the LLM
experts join the symbolic panel when a model is configured; the backtest never calls a model)."""
ROUTE_MODES: tuple[str, ...] = get_args(RouteMode)


def check_route(route: str) -> RouteMode:
    """Return `route` if it names a route mode, else the error listing the valid ones (the CLIs' message)."""
    if route not in ROUTE_MODES:
        raise ConfigurationError(f"unknown route {route!r}; valid routes: {', '.join(ROUTE_MODES)}")
    return cast(RouteMode, route)  # checked against the Literal's own values


Weight = Annotated[float, Field(ge=0)]
Multipliers = dict[str, Weight]
"""Gate multipliers by expert name; an expert not named keeps ×1."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrendThresholds(_Frozen):
    """When the trend expert calls a trend intact (confirm) or broken (veto)."""

    min_ma_spread: float = Field(0.0, description="MA5/MA20 - 1 must exceed this to confirm")
    min_ret_20d: float = Field(0.0, description="20-day return must exceed this to confirm")
    min_close_over_ma20: float = Field(0.0, description="close/MA20 - 1 must reach this to confirm")
    strong_ma_spread: float = Field(0.05, gt=0, description="MA spread that earns full confidence")
    strong_ret_20d: float = Field(0.20, gt=0, description="20-day return that earns full confidence")
    strong_breakout: float = Field(0.03, gt=0, description="breakout margin that earns full confidence")


class LiquidityThresholds(_Frozen):
    """When a stock is liquid enough to enter and leave without moving the price."""

    min_amount_20d: float = Field(20_000_000.0, gt=0, description="CNY/day; below it the liquidity expert vetoes")
    ample_amount_20d: float = Field(200_000_000.0, gt=0, description="CNY/day that earns full confidence")
    min_volume_ratio: float = Field(0.8, ge=0, description="below it the move lacks volume: abstain")
    strong_volume_ratio: float = Field(2.0, gt=0, description="volume ratio that earns full confidence")

    @model_validator(mode="after")
    def _strong_above_floor(self) -> Self:
        if self.ample_amount_20d <= self.min_amount_20d:
            raise ValueError(
                f"ample_amount_20d ({self.ample_amount_20d:_}) must exceed min_amount_20d ({self.min_amount_20d:_})"
            )
        if self.strong_volume_ratio <= self.min_volume_ratio:
            raise ValueError(
                f"strong_volume_ratio ({self.strong_volume_ratio}) must exceed min_volume_ratio "
                f"({self.min_volume_ratio})"
            )
        return self


class RiskSkepticThresholds(_Frozen):
    """Red flags of an overheated or speculative stock; any one of them is a hard veto."""

    max_rsi_14: float = Field(80.0, gt=0, le=100, description="RSI(14) at or above it: overheated")
    max_limit_ups_5d: int = Field(1, ge=0, description="more limit-ups than this in 5 sessions: speculative run")
    max_volatility_20d: float = Field(0.06, gt=0, description="daily return std at or above it: extreme")
    max_abs_gap_open: float = Field(0.05, gt=0, description="|open/prev close - 1| at or above it: big gap")


class SentimentThresholds(_Frozen):
    """The sentiment expert's symbolic form (no news on file): the crowd's mood read from price and volume."""

    min_volume_ratio: float = Field(1.5, gt=0, description="volume at least this × average with a rising week: confirm")
    strong_volume_ratio: float = Field(3.0, gt=0, description="volume ratio that earns full confidence")
    max_drop_5d: float = Field(-0.05, lt=0, description="5-day return at or below it: the crowd is selling, veto")


class GateWeights(_Frozen):
    """Expert weight = base (by expert, else the expert's own) × strategy × board × regime multipliers.

    A multiplier of 0 switches an expert off for that strategy, board or regime.
    """

    base: dict[str, Weight] = Field(default_factory=dict, description="overrides an expert's own weight")
    by_strategy: dict[str, Multipliers] = Field(default_factory=dict, description="strategy name → multipliers")
    by_board: dict[str, Multipliers] = Field(
        default_factory=lambda: {"bse": {"liquidity": 1.25}},
        description="board (types.Board value) → multipliers; BSE is thin, so liquidity counts more",
    )
    by_regime: dict[str, Multipliers] = Field(
        default_factory=lambda: {
            "trend": {"trend": 1.25},
            "range": {"trend": 0.75, "risk_skeptic": 1.25},
        },
        description="market regime → multipliers; an unknown regime changes nothing",
    )
    by_track_record: dict[str, Multipliers] = Field(
        default_factory=dict,
        description="'<board>/<regime>' → multipliers earned by each expert's point-in-time track record "
        "(evaluate.track; opt-in: ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS); empty changes nothing",
    )


class RouterConfig(_Frozen):
    """Everything the router decides by; every default is conservative."""

    top_k: int = Field(3, gt=0, description="experts the gate selects per signal")
    confirm_threshold: float = Field(
        0.6, gt=0, le=1, description="weighted confirm share (of non-abstaining experts) needed to confirm"
    )
    weights: GateWeights = GateWeights()
    trend: TrendThresholds = TrendThresholds()
    liquidity: LiquidityThresholds = LiquidityThresholds()
    risk_skeptic: RiskSkepticThresholds = RiskSkepticThresholds()
    sentiment: SentimentThresholds = SentimentThresholds()
    max_workers: int = Field(8, gt=0, description="threads running expert judgements at once")
    signals_per_invocation: int = Field(
        200, gt=0, description="route_batch splits larger batches: LangGraph slows past a few hundred Sends a step"
    )


class RouteSettings(_Frozen):
    """The live route stage's mode (ALPHAMOE_ROUTE__MODE), the backtest's `--route` names."""

    mode: RouteMode = Field("symbolic", description="none: quant only, every signal confirmed; symbolic: the experts")
    track_record_weights: bool = Field(
        False, description="weigh each expert by its point-in-time track record by board and regime (evaluate.track)"
    )
