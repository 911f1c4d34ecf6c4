"""The part of the settings that reading a finished day needs: where the data and runs are, the fabric, the clock.

`Settings` (alphamoe.settings) extends `CoreSettings` with every other section (sizing, risk, broker, console,
alerts, …). Building all of them costs ~0.15 s, most of a quick verb's start (issue 18: `alphamoe status`,
`risk`, `report` and `explain` start in ≤ 0.3 s), so those verbs build `CoreSettings` alone: the same
ALPHAMOE_* variables, read by pydantic-settings into the same fields, with the same validation and error
messages; the other sections are neither read nor checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from alphamoe.bus.config import FabricSettings
from alphamoe.clock.config import ClockSettings
from alphamoe.llm.settings import LlmSettings
from alphamoe.storage.config import S3Settings
from alphamoe.storage.location import DataLocation, S3Location, parse_s3


def default_data_dir() -> Path:
    """Return the per-user data folder that `alphamoe demo` fills ($XDG_DATA_HOME/alphamoe/market)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alphamoe" / "market"


class CoreSettings(BaseSettings):
    """Where alphamoe's data, runs, Redis and account are; e.g. ALPHAMOE_DATA=s3://bucket/market."""

    model_config = SettingsConfigDict(
        env_prefix="ALPHAMOE_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
        title="Settings",  # errors read "validation error for Settings", whichever part was built
    )
    data: DataLocation = Field(
        default_factory=default_data_dir,
        description="bar store root (ALPHAMOE_DATA): a folder (Path) or s3://bucket/prefix (str)",
    )
    runs: Path | None = Field(None, description="where run reports and account snapshots go; default <data>/runs")
    redis_url: str | None = Field(
        None, description="Redis for the bus, journal and shared risk state (ALPHAMOE_REDIS_URL); None = in-memory"
    )
    account_id: str = "paper"
    event_key: SecretStr | None = Field(
        None,
        description="HMAC key of signed hops and run tokens (ALPHAMOE_EVENT_KEY, ≥ 32 bytes); required by servers",
    )
    s3: S3Settings = Field(default_factory=S3Settings, description="S3/OSS client (ALPHAMOE_S3_ENDPOINT_URL, …)")
    fabric: FabricSettings = FabricSettings()
    clock: ClockSettings = ClockSettings()
    llm: LlmSettings = Field(default_factory=LlmSettings, description="LLM experts (ALPHAMOE_LLM_BASE_URL, …)")

    @property
    def runs_dir(self) -> Path:
        if self.runs is not None:
            return self.runs
        if isinstance(self.data, Path):
            return self.data / "runs"
        # S3 data: runs stay on local disk beside the default folder, one per bucket/prefix
        where: S3Location = parse_s3(self.data)
        return default_data_dir().parent / "runs" / where.bucket / where.prefix
