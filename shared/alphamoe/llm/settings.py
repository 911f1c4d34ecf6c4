"""LLM settings: endpoint, model, key, limits, prices and the decision record's location.

Read from the flat names the operator types (ALPHAMOE_LLM_BASE_URL, ALPHAMOE_LLM_MODEL, ALPHAMOE_LLM_API_KEY,
ALPHAMOE_LLM_TIMEOUT_S, …) and ALPHAMOE_DECISIONS / ALPHAMOE_EVIDENCE. `Settings.llm` builds them once, at the edge.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from alphamoe.storage.location import DataLocation

DEEPSEEK_URL = "https://api.deepseek.com"


class LlmSettings(BaseSettings):
    """ALPHAMOE_LLM_*: LLM experts are on when a base URL or a key is set (or when replaying the record)."""

    model_config = SettingsConfigDict(env_prefix="ALPHAMOE_LLM_", frozen=True, extra="ignore")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; DeepSeek's when only a key is set")
    model: str = Field("deepseek-reasoner", description="model name sent with every call")
    api_key: SecretStr | None = Field(None, description="bearer key; local servers (vLLM, Ollama) may need none")
    timeout_s: float = Field(120.0, gt=0, description="per-call timeout; a timed-out call abstains, never retried")
    max_concurrency: int = Field(16, ge=1, description="calls in flight at once, across all signals")
    max_retries: int = Field(3, ge=0, description="retries on 429, 5xx and connection errors")
    backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles per retry, honours Retry-After")
    backoff_cap_s: float = Field(30.0, ge=0, description="longest delay between two attempts")
    hedge_after_s: float | None = Field(
        None, gt=0, description="send a copy of a call running this long when a slot is idle; None = never"
    )
    hedge_copies: int = Field(2, ge=1, description="copies of one call in flight at most, the first included")
    max_tokens: int = Field(8192, ge=1, description="output cap per call (R1 counts its reasoning in it)")
    daily_token_budget: int = Field(2_000_000, ge=0, description="tokens per day (Asia/Shanghai); then LLMs abstain")
    daily_cost_budget_cny: Decimal = Field(Decimal("50"), ge=0, description="CNY per day; then LLM experts abstain")
    price_input_hit_cny: Decimal = Field(Decimal("1"), ge=0, description="CNY per 1M input tokens, cache hit (R1)")
    price_input_miss_cny: Decimal = Field(Decimal("4"), ge=0, description="CNY per 1M input tokens, cache miss (R1)")
    price_output_cny: Decimal = Field(Decimal("16"), ge=0, description="CNY per 1M output tokens incl. reasoning (R1)")
    replay: bool = Field(False, description="answer from the decision record only (alphamoe run --replay, backtests)")
    allow_live: bool = Field(False, description="when replaying, call the model for keys the record lacks")
    max_evidence_items: int = Field(8, ge=0, description="newest dated items per kind put in a prompt")
    decisions: str | None = Field(
        None,
        validation_alias=AliasChoices("ALPHAMOE_DECISIONS", "decisions"),
        description="decision record: a folder, s3://bucket/prefix or redis:// URL (ALPHAMOE_DECISIONS); "
        "default <runs>/decisions",
    )
    evidence: DataLocation | None = Field(
        None,
        validation_alias=AliasChoices("ALPHAMOE_EVIDENCE", "evidence"),
        description="folder or s3://bucket/prefix of the evidence archive and/or fundamentals.jsonl, news.jsonl "
        "(or .parquet) (ALPHAMOE_EVIDENCE); default: <data>/evidence when `data evidence` has filled it",
    )

    @property
    def enabled(self) -> bool:
        """True when LLM experts take part: an endpoint or key is configured, or decisions replay from the record."""
        return self.base_url is not None or self.api_key is not None or self.replay

    @property
    def live(self) -> bool:
        """True when the model may be called (not replaying, or replaying with live calls allowed)."""
        return (self.base_url is not None or self.api_key is not None) and (not self.replay or self.allow_live)

    @property
    def endpoint(self) -> str:
        return self.base_url or DEEPSEEK_URL


def replaying(settings: LlmSettings, *, allow_live: bool = False) -> LlmSettings:
    """Return the same settings with replay on: decisions come from the record, missing ones abstain."""
    return settings.model_copy(update={"replay": True, "allow_live": allow_live or settings.allow_live})


def record_only(settings: LlmSettings) -> LlmSettings:
    """Return the same settings answering from the decision record only: no model call, even with allow_live."""
    return settings.model_copy(update={"replay": True, "allow_live": False})
