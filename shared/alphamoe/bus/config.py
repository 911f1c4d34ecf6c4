"""Settings of the event fabric: stream caps, idempotency TTLs, the bridge's retry and claim policy."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FabricSettings(BaseModel):
    """ALPHAMOE_FABRIC__*: how Redis Streams and the bridge behave (DESIGN.md §3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    stream_maxlen: int = Field(100_000, ge=100, description="XADD MAXLEN ~ cap of each event-type stream")
    ttl_s: int = Field(7 * 86_400, ge=60, description="how long handled-id and published-id records live")
    max_attempts: int = Field(8, ge=1, description="deliveries of one entry before it goes to alphamoe:dlq")
    backoff_s: float = Field(0.05, gt=0, description="first retry delay; doubles per attempt")
    backoff_cap_s: float = Field(2.0, gt=0, description="longest delay between two attempts")
    claim_idle_ms: int = Field(30_000, ge=100, description="XAUTOCLAIM entries another consumer left idle this long")
    concurrency: int = Field(16, ge=1, description="deliveries in flight per subscription (execute: always 1)")
    http_timeout_s: float = Field(300.0, gt=0, description="how long the bridge waits for a function's answer")
    barrier_timeout_s: float = Field(
        300.0, gt=0, description="size proposes with the signals it has when scan.completed is this old"
    )
    max_body_bytes: int = Field(
        1 << 20, ge=1024, description="largest request body a function reads (413 above; checked before reading)"
    )
    body_timeout_s: float = Field(30.0, gt=0, description="how long a function waits for a request's whole body")
    dlq_max_bytes: int = Field(
        64 << 20, ge=1 << 20, description="byte budget of alphamoe:dlq: the oldest entries go first when it is spent"
    )
    dlq_entry_bytes: int = Field(
        16 << 10, ge=1024, description="largest dead letter kept whole; a bigger raw entry is kept truncated"
    )
