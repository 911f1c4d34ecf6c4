"""The evaluation's figures, as the JSON, the terminal table and the HTML report show them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PassedOverScore(_Frozen):
    """What the picks an arm did not confirm (veto or abstain: no order) did over `horizon` sessions."""

    horizon: int
    n: int = Field(description="picks passed over with a known forward return")
    hit_rate: float | None = Field(description="share that fell or stayed flat: the veto saved money")
    mean_return: float | None = Field(description="their mean forward return")
    confirmed_mean_return: float | None = Field(description="the confirmed picks' mean forward return, beside")


class CalibrationBucket(_Frozen):
    """Verdicts whose confidence fell in [low, high): how often they were right at 5 sessions."""

    low: float
    high: float
    n: int
    mean_confidence: float
    hit_rate: float


class Attribution(_Frozen):
    """Daily returns regressed on market, size and momentum factor returns (least squares)."""

    days: int
    alpha_annual: float = Field(description="intercept × 252")
    betas: dict[str, float]
    r_squared: float


class Cost(_Frozen):
    """LLM calls behind an arm's decisions, from the decision record."""

    calls: int = Field(description="LLM opinions answered from the record or the model")
    missing_candidates: int = Field(
        description="candidates with an LLM decision missing: not in the record (replay) or over the budget (live)"
    )
    refused: int = Field(description="answers not counted by grounding (router.grounding)")
    tokens: int
    cost_cny: Decimal
    tokens_per_candidate: float
    cny_per_candidate: Decimal
    tokens_per_session: float
    cny_per_session: Decimal
    latency_ms_mean: float | None
    latency_ms_p95: float | None


class TrackRecord(_Frozen):
    """One expert's verdicts on one board in one regime, scored at 5 sessions."""

    expert: str
    board: str
    regime: str
    n: int = Field(description="confirms and vetoes scored")
    hit_rate: float
    mean_confidence: float
    brier: float = Field(description="mean (confidence − right)²: 0 perfect, 0.25 a coin at 0.5")


class ExpertSummary(_Frozen):
    """One expert over the whole span (all boards and regimes), scored at 5 sessions."""

    expert: str
    n: int = Field(description="confirms and vetoes scored")
    hit_rate: float
    vetoes: int
    veto_hit_rate: float | None = Field(description="share of its vetoes that did not rise; None without one")
    brier: float
    calibration: tuple[CalibrationBucket, ...]


class ArmReport(_Frozen):
    name: str
    verdicts: dict[str, int]
    total_return: float
    excess_return: float | None = Field(description="over the benchmark; None without one")
    sharpe: float
    max_drawdown: float
    fills: int
    passed_over: tuple[PassedOverScore, ...]
    added_vetoes: tuple[PassedOverScore, ...] = Field(
        (), description="picks the symbolic panel confirmed and this arm did not: what the LLM experts changed"
    )
    calibration: tuple[CalibrationBucket, ...]
    attribution: Attribution | None
    cost: Cost | None = None
    equity: tuple[float, ...] = Field(description="account value at each session's close")


class Evaluation(_Frozen):
    """`alphamoe evaluate`: the three arms over one span, one record, one set of settings."""

    start: date
    end: date
    strategy: str
    record: str = Field(description="the decision record the LLM arm answered from")
    anonymised: bool
    live: bool
    benchmark: str | None
    sessions: int
    candidates: int
    days: tuple[date, ...]
    benchmark_curve: tuple[float, ...]
    arms: tuple[ArmReport, ...]
    experts: tuple[ExpertSummary, ...] = Field((), description="each expert of the llm arm over the whole span")
    track_records: tuple[TrackRecord, ...]
