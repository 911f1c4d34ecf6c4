"""Settings of the alerts (ALPHAMOE_ALERTS__*): one section per channel, each off until enabled with its secrets.

E.g. ALPHAMOE_ALERTS__WECOM__ENABLED=true ALPHAMOE_ALERTS__WECOM__KEY=<the webhook's key>. Base URLs are
settings so a private gateway (or a test's stand-in) can take the place of the public service.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from alphamoe.alerts.model import AlertKind, Severity
from alphamoe.alerts.names import ChannelName as ChannelName  # its home is light: the CLI lists the names


class ChannelSettings(BaseModel):
    """What every channel shares: which alerts it takes, how fast it may send, how it retries."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    enabled: bool = False
    min_severity: Severity = Field(Severity.INFO, description="alerts below this are not sent on this channel")
    kinds: tuple[AlertKind, ...] = Field((), description="only these kinds (empty: every kind)")
    rate_per_minute: float = Field(20.0, gt=0, description="messages per minute (token bucket, burst = one minute)")
    batch_seconds: float = Field(30.0, ge=0, description="INFO alerts wait this long to go out together")
    max_alerts: int = Field(50, ge=1, description="alerts in one message at most; the rest go in the next")
    queue_size: int = Field(1000, ge=1, description="alerts waiting at most; past it the oldest are dropped")
    timeout_s: float = Field(5.0, gt=0, description="connect/read timeout of one send")
    max_attempts: int = Field(4, ge=1, description="sends of one message before it is dropped (logged, counted)")
    backoff_s: float = Field(2.0, gt=0, description="first retry delay; doubles per attempt")
    backoff_cap_s: float = Field(120.0, gt=0, description="longest retry delay (a service's retry-after wins)")

    def missing(self) -> list[str]:
        """Return the fields an enabled channel still needs (none by default)."""
        return []


class WeComSettings(ChannelSettings):
    """企业微信 group robot: POST <base_url>/cgi-bin/webhook/send?key=<key>; 20 messages a minute per robot."""

    base_url: str = "https://qyapi.weixin.qq.com"
    key: SecretStr | None = Field(None, description="the key of the robot's webhook URL")

    def missing(self) -> list[str]:
        return [] if self.key else ["key"]


class FeishuSettings(ChannelSettings):
    """飞书 custom bot: POST <base_url>/open-apis/bot/v2/hook/<token>, signed when `secret` is set."""

    base_url: str = "https://open.feishu.cn"
    token: SecretStr | None = Field(None, description="the hook id at the end of the webhook URL")
    secret: SecretStr | None = Field(None, description="签名校验 secret; unset: the bot must not require signing")
    rate_per_minute: float = Field(100.0, gt=0, description="Feishu allows 100 a minute (5 a second) per bot")

    def missing(self) -> list[str]:
        return [] if self.token else ["token"]


class DingTalkSettings(ChannelSettings):
    """钉钉 custom robot: POST <base_url>/robot/send?access_token=…&timestamp=…&sign=…; 20 a minute per robot."""

    base_url: str = "https://oapi.dingtalk.com"
    access_token: SecretStr | None = None
    secret: SecretStr | None = Field(None, description="加签 secret (SEC…); unset: the robot must not require it")

    def missing(self) -> list[str]:
        return [] if self.access_token else ["access_token"]


class TelegramSettings(ChannelSettings):
    """Telegram Bot API: POST <base_url>/bot<token>/sendMessage to one chat (20 a minute into a group)."""

    base_url: str = "https://api.telegram.org"
    token: SecretStr | None = Field(None, description="the bot token from @BotFather")
    chat_id: str | None = Field(None, description="the chat (user, group or @channel) to post to")

    def missing(self) -> list[str]:
        return [name for name, value in (("token", self.token), ("chat_id", self.chat_id)) if not value]


class EmailSettings(ChannelSettings):
    """SMTP submission with the standard library: STARTTLS when the server needs it, AUTH when a user is set."""

    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = Field(True, description="upgrade with STARTTLS before AUTH; false only for a local relay")
    username: str | None = None
    password: SecretStr | None = None
    sender: str | None = Field(None, description="the From address")
    recipients: tuple[str, ...] = ()
    rate_per_minute: float = Field(6.0, gt=0)
    batch_seconds: float = Field(120.0, ge=0)

    def missing(self) -> list[str]:
        absent = [name for name, value in (("host", self.host), ("sender", self.sender)) if not value]
        return absent + ([] if self.recipients else ["recipients"])


class AlertSettings(BaseModel):
    """ALPHAMOE_ALERTS__*: the channels, and how `alphamoe alerts run` watches the fabric."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    wecom: WeComSettings = WeComSettings()
    feishu: FeishuSettings = FeishuSettings()
    dingtalk: DingTalkSettings = DingTalkSettings()
    telegram: TelegramSettings = TelegramSettings()
    email: EmailSettings = EmailSettings()
    instance: str = Field(
        "default",
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="the watcher's name: each instance keeps its own cursors (e.g. one per audience)",
    )
    block_ms: int = Field(1000, ge=10, description="how long one read of the streams waits for new entries")
    read_pause_s: float = Field(
        0.25, ge=0, description="pause after a read that found entries (a burst is read in few round trips)"
    )
    state_every_s: float = Field(2.0, gt=0, description="how often the kill switch's states are read")
    health_every_s: float = Field(15.0, gt=0, description="how often each function's readiness is probed")
    unready_after: int = Field(2, ge=1, description="failed probes in a row before 'not ready' is sent")
    functions: dict[str, str] = Field(
        default_factory=dict, description="function name → base URL probed at /health/readiness (cluster: its own)"
    )
    report_every_s: float = Field(10.0, gt=0, description="how often a closed run's end-of-day report is looked for")
    report_wait_s: float = Field(1800.0, gt=0, description="after market.close, how long the report may take")

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> AlertSettings:
        for name in self.enabled():
            if absent := self.channel(name).missing():
                prefix = f"ALPHAMOE_ALERTS__{name.value.upper()}__"
                needed = ", ".join(prefix + field.upper() for field in absent)
                raise ValueError(f"{prefix}ENABLED=true needs {needed}")
        return self

    def channel(self, name: ChannelName) -> ChannelSettings:
        sections: dict[ChannelName, ChannelSettings] = {
            ChannelName.WECOM: self.wecom,
            ChannelName.FEISHU: self.feishu,
            ChannelName.DINGTALK: self.dingtalk,
            ChannelName.TELEGRAM: self.telegram,
            ChannelName.EMAIL: self.email,
        }
        return sections[name]

    def enabled(self) -> list[ChannelName]:
        return [name for name in ChannelName if self.channel(name).enabled]
