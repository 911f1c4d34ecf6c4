"""Each channel against its stand-in over real HTTP/SMTP on 127.0.0.1: format, signing, refusals, throttling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr
from support.chat_standins import (
    BlackHole,
    DingTalkStandIn,
    FeishuStandIn,
    SmtpStandIn,
    TelegramStandIn,
    WeComStandIn,
)

from alphamoe.alerts.channels.base import RateLimitedError, RefusedError, UnreachableError
from alphamoe.alerts.channels.dingtalk import DingTalkChannel
from alphamoe.alerts.channels.email import EmailChannel
from alphamoe.alerts.channels.feishu import FeishuChannel
from alphamoe.alerts.channels.telegram import TelegramChannel
from alphamoe.alerts.channels.wecom import WeComChannel
from alphamoe.alerts.config import DingTalkSettings, EmailSettings, FeishuSettings, TelegramSettings, WeComSettings
from alphamoe.alerts.model import Alert, AlertKind, Severity

AT = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)
KEY, TOKEN, SECRET = "k-693a91f6", "hook-5e3d587e", "SECc0ffee"


def fill(n: int = 0, symbol: str = "600519.SH") -> Alert:
    return Alert(
        kind=AlertKind.FILL,
        severity=Severity.INFO,
        day=date(2024, 3, 1),
        account="paper",
        at=AT,
        title=f"Filled BUY {symbol} {100 + n} @ 1,700.00",
        lines=("order c-1: 100 filled so far, FILLED", "value 170,000.00 CNY, fees 5.10 CNY"),
    )


def halt(reason: str = "drawdown 12.0% > 10%") -> Alert:
    return Alert(
        kind=AlertKind.TRADING_STATE,
        severity=Severity.CRITICAL,
        account="paper",
        at=AT,
        title="Trading HALTED on paper",
        lines=(f"HALTED ({reason})",),
    )


@pytest.fixture
def wecom() -> Iterator[WeComStandIn]:
    standin = WeComStandIn(KEY).start()
    yield standin
    standin.stop()


@pytest.fixture
def feishu() -> Iterator[FeishuStandIn]:
    standin = FeishuStandIn(TOKEN, SECRET).start()
    yield standin
    standin.stop()


@pytest.fixture
def dingtalk() -> Iterator[DingTalkStandIn]:
    standin = DingTalkStandIn(TOKEN, SECRET).start()
    yield standin
    standin.stop()


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    standin = TelegramStandIn("123:ABC", "-1001", retry_after=1).start()
    yield standin
    standin.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    standin = SmtpStandIn(username="ops", password="pw-123").start()
    yield standin
    standin.stop()


def test_wecom_when_sent_then_robot_receives_markdown_batch(wecom: WeComStandIn) -> None:
    WeComChannel(WeComSettings(base_url=wecom.url, key=SecretStr(KEY))).send([fill(0), fill(1), halt()])
    [body] = wecom.received
    content = body["markdown"]["content"]
    assert content.startswith("### [CRITICAL] alphamoe: 3 alerts (2 fill, 1 trading state)")
    assert "Filled BUY 600519.SH 100" in content and "Filled BUY 600519.SH 101" in content
    assert "**[CRITICAL] Trading HALTED on paper**" in content
    assert "09:30:00 CST" in content  # exchange time, not UTC


def test_wecom_when_key_wrong_then_refused_without_the_key_in_the_error(wecom: WeComStandIn) -> None:
    channel = WeComChannel(WeComSettings(base_url=wecom.url, key=SecretStr("wrong-key-42")))
    with pytest.raises(RefusedError, match="errcode 93000") as caught:
        channel.send([fill()])
    assert "wrong-key-42" not in str(caught.value)
    assert wecom.received == []


def test_wecom_when_throttled_then_rate_limited_error(wecom: WeComStandIn) -> None:
    wecom.throttle_next(1)
    channel = WeComChannel(WeComSettings(base_url=wecom.url, key=SecretStr(KEY)))
    with pytest.raises(RateLimitedError, match="45009"):
        channel.send([fill()])
    channel.send([fill()])  # the next minute's message goes through
    assert len(wecom.received) == 1


def test_wecom_when_batch_exceeds_4096_bytes_then_cut_with_count_and_accepted(wecom: WeComStandIn) -> None:
    alerts = [fill(n, "688981.SH") for n in range(200)]
    WeComChannel(WeComSettings(base_url=wecom.url, key=SecretStr(KEY))).send(alerts)
    content = wecom.received[0]["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    shown = content.count("Filled BUY")
    assert shown < 200
    assert content.endswith(f"… and {200 - shown} more alerts")


def test_feishu_when_signed_then_standin_verifies_signature_and_takes_card(feishu: FeishuStandIn) -> None:
    FeishuChannel(FeishuSettings(base_url=feishu.url, token=SecretStr(TOKEN), secret=SecretStr(SECRET))).send([halt()])
    [body] = feishu.received
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["template"] == "red"
    assert body["card"]["header"]["title"]["content"] == "[CRITICAL] Trading HALTED on paper"


def test_feishu_when_secret_wrong_then_refused_19021(feishu: FeishuStandIn) -> None:
    settings = FeishuSettings(base_url=feishu.url, token=SecretStr(TOKEN), secret=SecretStr("SECwrong"))
    with pytest.raises(RefusedError, match="code 19021"):
        FeishuChannel(settings).send([fill()])
    assert feishu.received == [] and feishu.refused[0]["why"] == "sign"


def test_feishu_when_clock_two_hours_off_then_refused(feishu: FeishuStandIn) -> None:
    settings = FeishuSettings(base_url=feishu.url, token=SecretStr(TOKEN), secret=SecretStr(SECRET))
    with pytest.raises(RefusedError, match="19021"):
        FeishuChannel(settings, now=lambda: time.time() - 7200).send([fill()])


def test_feishu_when_throttled_then_rate_limited_error(feishu: FeishuStandIn) -> None:
    feishu.throttle_next(1)
    settings = FeishuSettings(base_url=feishu.url, token=SecretStr(TOKEN), secret=SecretStr(SECRET))
    with pytest.raises(RateLimitedError, match="9499"):
        FeishuChannel(settings).send([fill()])


def test_dingtalk_when_signed_then_standin_verifies_query_signature(dingtalk: DingTalkStandIn) -> None:
    settings = DingTalkSettings(base_url=dingtalk.url, access_token=SecretStr(TOKEN), secret=SecretStr(SECRET))
    DingTalkChannel(settings).send([fill(), halt()])
    [body] = dingtalk.received
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("[CRITICAL] alphamoe: 2 alerts")
    assert "\n\n> paper · 2024-03-01 · 09:30:00 CST" in body["markdown"]["text"]


def test_dingtalk_when_secret_wrong_then_refused_310000(dingtalk: DingTalkStandIn) -> None:
    settings = DingTalkSettings(base_url=dingtalk.url, access_token=SecretStr(TOKEN), secret=SecretStr("SECnope"))
    with pytest.raises(RefusedError, match="errcode 310000"):
        DingTalkChannel(settings).send([fill()])


def test_dingtalk_when_throttled_then_rate_limited_error(dingtalk: DingTalkStandIn) -> None:
    dingtalk.throttle_next(1)
    settings = DingTalkSettings(base_url=dingtalk.url, access_token=SecretStr(TOKEN), secret=SecretStr(SECRET))
    with pytest.raises(RateLimitedError, match="130101"):
        DingTalkChannel(settings).send([fill()])


def test_telegram_when_text_has_angle_brackets_then_escaped_and_accepted(telegram: TelegramStandIn) -> None:
    settings = TelegramSettings(base_url=telegram.url, token=SecretStr("123:ABC"), chat_id="-1001")
    TelegramChannel(settings).send([halt("loss <5%> & falling"), fill()])
    [body] = telegram.received
    assert body["parse_mode"] == "HTML"
    assert "loss &lt;5%&gt; &amp; falling" in body["text"]


def test_telegram_when_429_then_retry_after_carried(telegram: TelegramStandIn) -> None:
    telegram.throttle_next(1)
    settings = TelegramSettings(base_url=telegram.url, token=SecretStr("123:ABC"), chat_id="-1001")
    with pytest.raises(RateLimitedError) as caught:
        TelegramChannel(settings).send([fill()])
    assert caught.value.retry_after == 1.0


def test_telegram_when_token_wrong_then_refused_and_token_not_shown(telegram: TelegramStandIn) -> None:
    settings = TelegramSettings(base_url=telegram.url, token=SecretStr("999:SECRET"), chat_id="-1001")
    with pytest.raises(RefusedError, match="401") as caught:
        TelegramChannel(settings).send([fill()])
    assert "999:SECRET" not in str(caught.value)


def test_email_when_sent_then_server_receives_subject_and_body(smtp: SmtpStandIn) -> None:
    settings = EmailSettings(
        host="127.0.0.1",
        port=smtp.port,
        starttls=False,
        username="ops",
        password=SecretStr("pw-123"),
        sender="alphamoe@example.com",
        recipients=("trader@example.com", "risk@example.com"),
    )
    EmailChannel(settings).send([halt(), fill()])
    [mail] = smtp.received
    assert mail.recipients == ["trader@example.com", "risk@example.com"]
    assert mail.message["Subject"] == "[alphamoe] [CRITICAL] alphamoe: 2 alerts (1 trading state, 1 fill)"
    assert "Trading HALTED on paper" in mail.message.get_payload(decode=True).decode()


def test_email_when_password_wrong_then_refused_535(smtp: SmtpStandIn) -> None:
    settings = EmailSettings(
        host="127.0.0.1",
        port=smtp.port,
        starttls=False,
        username="ops",
        password=SecretStr("nope"),
        sender="a@example.com",
        recipients=("b@example.com",),
    )
    with pytest.raises(RefusedError, match="535"):
        EmailChannel(settings).send([fill()])
    assert smtp.received == []


def test_email_when_server_throttles_then_retryable(smtp: SmtpStandIn) -> None:
    smtp.throttle_next(1)
    settings = EmailSettings(
        host="127.0.0.1",
        port=smtp.port,
        starttls=False,
        username="ops",
        password=SecretStr("pw-123"),
        sender="a@example.com",
        recipients=("b@example.com",),
    )
    with pytest.raises(UnreachableError) as caught:
        EmailChannel(settings).send([fill()])
    assert caught.value.retryable


def test_email_when_starttls_required_but_not_offered_then_refused_not_sent_in_clear(smtp: SmtpStandIn) -> None:
    settings = EmailSettings(
        host="127.0.0.1",
        port=smtp.port,
        username="ops",
        password=SecretStr("pw-123"),
        sender="a@example.com",
        recipients=("b@example.com",),
    )
    with pytest.raises(RefusedError, match="STARTTLS"):
        EmailChannel(settings).send([fill()])
    assert smtp.received == []


def test_webhook_when_service_hangs_then_unreachable_within_timeout() -> None:
    hole = BlackHole()
    try:
        channel = WeComChannel(WeComSettings(base_url=hole.url, key=SecretStr(KEY), timeout_s=0.3))
        started = time.monotonic()
        with pytest.raises(UnreachableError, match="did not answer in time") as caught:
            channel.send([fill()])
        assert time.monotonic() - started < 2.0
        assert KEY not in str(caught.value)
    finally:
        hole.close()
