"""Which quotes paper trading the open session reads (ALPHAMOE_QUOTES__SOURCE=none|replay|xtdata)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.storage.location import DataLocation


class QuoteSettings(BaseModel):
    """The quote source of the cluster's execute function and scan (`alphamoe run --quotes` names its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: Literal["none", "replay", "xtdata"] = Field(
        "none",
        description=(
            "none: fill on the day's bar (a past day, the store already holds it); replay: a stored day replayed "
            "as quotes (`replay_store`); xtdata: MiniQMT's live quotes. With a source, a day the store lacks yet "
            "opens on its opening rows (D−1's facts, the quotes' previous closes) and execute feeds the session"
        ),
    )
    replay_store: DataLocation | None = Field(
        None, description="the bar store `replay` reads the day's bars from (a folder or s3://…); None = ALPHAMOE_DATA"
    )
