"""The clock's settings: when the day's ticks fire, in which time zone, and what the day's report compares to."""

from __future__ import annotations

from datetime import time
from pathlib import Path
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
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
