"""Settings of the Redis that `alphamoe cluster up` and the tests start: its memory bound and AOF fsync policy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LocalRedisSettings(BaseModel):
    """ALPHAMOE_LOCAL_REDIS__*: limits of the local redis-server (a Redis named by ALPHAMOE_REDIS_URL keeps its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    maxmemory_mb: int = Field(
        1024,
        ge=16,
        description=(
            "memory cap (streams are capped by ALPHAMOE_FABRIC__STREAM_MAXLEN within it); when reached, writes are "
            "refused (noeviction): an error, never a journal entry or an unacknowledged event silently evicted"
        ),
    )
    appendfsync: Literal["always", "everysec"] = Field(
        "everysec",
        description=(
            "AOF fsync. everysec: a killed redis-server loses no acknowledged write (the AOF is written before the "
            "reply, except while a slow disk is still busy with the last fsync), a lost machine up to 1 s of writes; "
            "always: neither, at one fsync per write"
        ),
    )
