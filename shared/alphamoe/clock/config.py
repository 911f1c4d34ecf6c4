"""The clock's settings: when the day's ticks fire, in which time zone, and what the day's report compares to."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ClockSettings(BaseModel):
    """ALPHAMOE_CLOCK__MARKET_OPEN=09:26 etc. Times are wall-clock times in `timezone` on weekdays."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    timezone: str = Field("Asia/Shanghai", description="IANA zone the exchange keeps its hours in")
    market_open: time = Field(time(9, 26), description="market.open tick: after the 09:15-09:25 call auction")
    market_close: time = Field(time(15, 5), description="market.close tick: after the 15:00 close")
    session_end: time = Field(
        time(15, 0), description="the exchange's close: a missed market.open is caught up only before it"
    )
    grace_seconds: int = Field(120, ge=0, description="a tick handled later than this is recorded as caught up")
    claim_ttl_days: int = Field(400, ge=1, description="how long a day's claims and clock log stay in Redis")
    poll_seconds: float = Field(30.0, gt=0, description="longest sleep of `alphamoe schedule` between checks")
    benchmark_csv: Path | None = Field(
        None, description="the day report's benchmark (CSI300 daily CSV with date and close columns); None = none"
    )
    benchmark_name: str = Field("CSI300", description="how the report names the benchmark")
    report_store: str | None = Field(
        None, description="where end-of-day reports go: a folder or s3://bucket/prefix; None = <runs>/reports"
    )
    data_step: time | None = Field(
        time(16, 30),
        description=(
            "data.update tick: the evening job (update the store from the data source, check, publish data.ready); "
            "None = no data step (the store is kept current by other means)"
        ),
    )
    data_retries: int = Field(
        3, ge=1, description="attempts of the evening update before it stops and raises an alert (not forever)"
    )
    data_retry_seconds: float = Field(600.0, ge=0, description="wait between two attempts of the evening update")
    on_stale: Literal["refuse", "last_complete"] = Field(
        "refuse",
        description=(
            "market.open of D when the store lacks D-1's close: refuse the day (event, status line, alert), or run "
            "on the last complete day and say so in the clock log every report prints"
        ),
    )
    accelerate_seconds_per_session: float | None = Field(
        None,
        gt=0,
        description=(
            "an accelerated clock (a season replayed unattended): one session day (24 h of clock time) lasts this "
            "many real seconds, days that are not sessions none, and clock time holds while the fabric is busy; "
            "its runs are SIMULATIONs, never a session. None = the wall clock"
        ),
    )
    accelerate_start: date | None = Field(
        None, description="the accelerated clock's first day (it starts at 00:00 of it); required with the above"
    )
    accept_unsigned_pings: bool = Field(
        False,
        description=(
            "let the PingSource receiver accept pings without the event key's signature: only in-cluster, where "
            "Knative's OIDC sender identity (features: authentication-oidc) and the NetworkPolicy admit PingSource "
            "alone; such a ping can claim today's tick once, never force a rerun"
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"clock.timezone {value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ClockSettings:
        if not self.market_open < self.session_end <= self.market_close:
            raise ValueError(
                f"clock.market_open ({self.market_open}) must be before clock.session_end ({self.session_end}), "
                f"which must not be after clock.market_close ({self.market_close})"
            )
        if (self.accelerate_seconds_per_session is None) != (self.accelerate_start is None):
            raise ValueError(
                "clock.accelerate_seconds_per_session and clock.accelerate_start go together: "
                "an accelerated clock needs both (how fast, and from which day)"
            )
        if self.data_step is not None and self.data_step <= self.market_close:
            raise ValueError(
                f"clock.data_step ({self.data_step}) must be after clock.market_close ({self.market_close}): "
                "the evening update brings the day's close"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def accelerated(self) -> bool:
        """Whether this clock's time is simulated (a season), not the wall clock: no run of it is a session."""
        return self.accelerate_seconds_per_session is not None
