"""`alphamoe alerts test`: one signed message to a stand-in, a clear refusal when the secret is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.chat_standins import DingTalkStandIn
from typer.testing import CliRunner

from alphamoe.cli.app import app


@pytest.fixture
def dingtalk() -> Iterator[DingTalkStandIn]:
    standin = DingTalkStandIn("tok-1", "SECabc").start()
    yield standin
    standin.stop()


def env(standin: DingTalkStandIn, secret: str) -> dict[str, str]:
    return {
        "ALPHAMOE_ALERTS__DINGTALK__BASE_URL": standin.url,
        "ALPHAMOE_ALERTS__DINGTALK__ACCESS_TOKEN": "tok-1",
        "ALPHAMOE_ALERTS__DINGTALK__SECRET": secret,
    }


def test_alerts_test_when_secret_right_then_signed_message_arrives(dingtalk: DingTalkStandIn) -> None:
    result = CliRunner().invoke(app, ["alerts", "test", "--channel", "dingtalk"], env=env(dingtalk, "SECabc"))
    assert result.exit_code == 0, result.output
    assert [b["markdown"]["title"] for b in dingtalk.received] == ["alphamoe test alert"]


def test_alerts_test_when_secret_wrong_then_exit_1_with_service_answer(dingtalk: DingTalkStandIn) -> None:
    result = CliRunner().invoke(app, ["alerts", "test", "--channel", "dingtalk"], env=env(dingtalk, "SECwrong"))
    assert result.exit_code == 1
    assert "errcode 310000 sign not match, more: [stand-in]" in " ".join(result.output.split())
    assert "SECwrong" not in result.output and dingtalk.received == []


def test_alerts_run_when_no_channel_enabled_then_exit_2_naming_the_setting() -> None:
    result = CliRunner().invoke(app, ["alerts", "run"], env={"ALPHAMOE_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.exit_code == 2
    assert "ALPHAMOE_ALERTS__<WECOM|FEISHU|DINGTALK|TELEGRAM|EMAIL>__ENABLED=true" in " ".join(result.output.split())
