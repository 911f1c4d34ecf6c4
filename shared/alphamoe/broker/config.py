"""Broker settings (ALPHAMOE_BROKER__*): which adapter execute drives, and how it waits and reconciles."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class BrokerSettings(BaseModel):
    """How execute reaches its broker; e.g. ALPHAMOE_BROKER__ADAPTER=remote ALPHAMOE_BROKER__URL=https://…"""

    model_config = ConfigDict(frozen=True, extra="forbid")
    adapter: Literal["paper", "remote", "miniqmt", "qmt"] = Field(
        "paper",
        description="paper (default), remote (a gateway over HTTP), miniqmt (xtquant on this Windows host), "
        "qmt (the full QMT client running broker/qmt/bridge_script.py, over this Redis); "
        "PTrade runs on the broker's side, see functions/execute/README.md",
    )
    wait_s: float = Field(5.0, gt=0, description="how long an order waits for a dropped session before a 503")
    reconcile_interval_s: float = Field(30.0, gt=0, description="periodic reconciliation of live sessions")
    lock_ttl_s: float = Field(
        30.0, gt=0, description="live: TTL of the execute lease per account and day (refreshed every third of it)"
    )
    url: str | None = Field(None, description="remote: the gateway's base URL (http:// or https://)")
    token: SecretStr | None = Field(None, description="remote and gateway: the shared bearer token")
    tls_verify: bool | Path = Field(True, description="remote: verify the gateway's certificate (or a CA file)")
    tls_cert: Path | None = Field(None, description="gateway: certificate file; with tls_key, serve HTTPS")
    tls_key: Path | None = Field(None, description="gateway: private key file")
    qmt_path: str | None = Field(None, description=r"miniqmt: the client's userdata_mini folder (D:\QMT\userdata_mini)")
    qmt_account: str | None = Field(None, description="miniqmt and qmt: the stock account id (资金账号)")
    qmt_reply_timeout_s: float = Field(5.0, gt=0, description="qmt: how long a command waits for the bridge")
