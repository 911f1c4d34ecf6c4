"""S3 client settings; credentials stay with boto3's own chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY…)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class S3Settings(BaseSettings):
    """How to reach an S3-compatible store: AWS S3, Alibaba OSS, MinIO or a local test server.

    OSS works by endpoint: ALPHAMOE_S3_ENDPOINT_URL=https://oss-cn-hangzhou.aliyuncs.com with
    ALPHAMOE_S3_ADDRESSING_STYLE=virtual.
    """

    model_config = SettingsConfigDict(env_prefix="ALPHAMOE_S3_", frozen=True, extra="ignore")
    endpoint_url: str | None = Field(
        None,
        validation_alias=AliasChoices("ALPHAMOE_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL", "endpoint_url"),
        description="S3 endpoint; None = AWS's default for the region",
    )
    region: str | None = Field(
        None,
        validation_alias=AliasChoices("ALPHAMOE_S3_REGION", "AWS_DEFAULT_REGION", "AWS_REGION", "region"),
        description="signing region (us-east-1 when unset)",
    )
    addressing_style: str = Field("auto", description="auto | path | virtual (OSS needs virtual)")
    connect_timeout: float = Field(5.0, gt=0, description="seconds to open a connection")
    read_timeout: float = Field(30.0, gt=0, description="seconds to wait for a response")
    max_attempts: int = Field(3, ge=1, description="boto3 retries (standard mode) on throttling and 5xx")
