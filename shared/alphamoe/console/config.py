"""The console's settings (ALPHAMOE_CONSOLE__*): who may sign in, as what, and where it may listen."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Role(StrEnum):
    """VIEWER reads every page; OPERATOR may also halt, reduce, resume, work the clutch and the dead letters."""

    VIEWER = "viewer"
    OPERATOR = "operator"


class ConsoleUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role = Role.VIEWER
    password_hash: str = Field(
        pattern=r"^scrypt\$", description="`alphamoe console --hash-password` prints one; never the password"
    )


class ConsoleSettings(BaseModel):
    """E.g. ALPHAMOE_CONSOLE__USERS='{"ann": {"role": "operator", "password_hash": "scrypt$…"}}'."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    users: dict[str, ConsoleUser] = Field(
        default_factory=dict, description="no users: a one-time login URL is printed at start (loopback only)"
    )
    session_secret: SecretStr | None = Field(
        None, description="HMAC key of session cookies (≥ 32 bytes); unset: a random one, sessions end on restart"
    )
    session_ttl_s: int = Field(8 * 3600, gt=0, description="seconds a sign-in lasts")
    tls_certfile: Path | None = Field(None, description="PEM certificate: serve HTTPS")
    tls_keyfile: Path | None = Field(None, description="PEM key of tls_certfile")
    allow_plain_http: bool = Field(
        False, description="listen on a non-loopback address without TLS (behind a TLS-terminating ingress)"
    )
    login_attempts: int = Field(5, ge=1, description="wrong passwords per user and address before a wait")
    login_window_s: float = Field(300.0, gt=0, description="seconds the wrong passwords are counted over")
    audit_log: Path | None = Field(None, description="JSONL audit log of operator actions; default <runs>/console")
    stage_poll_s: float = Field(0.25, gt=0, le=1, description="seconds between looks at the streams for the live page")
    backtests: list[Path] = Field(
        default_factory=list,
        description="folders History searches for backtest results (`alphamoe backtest --report DIR` writes "
        "DIR/result.json, `--json-out FILE` FILE); default <runs>/backtests",
    )
