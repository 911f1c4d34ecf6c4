"""The `qmt` adapter from settings: refused at start without its account or Redis, built with both."""

from __future__ import annotations

from datetime import date

import pytest

from alphamoe.broker.config import BrokerSettings
from alphamoe.broker.qmt.adapter import QmtBroker
from alphamoe.broker.wiring import broker_factory
from alphamoe.errors import ConfigurationError
from alphamoe.market.fees import CommissionSchedule


def test_broker_factory_when_qmt_without_account_or_redis_then_refused_naming_both() -> None:
    with pytest.raises(ConfigurationError, match="QMT_ACCOUNT and ALPHAMOE_REDIS_URL"):
        broker_factory(BrokerSettings(adapter="qmt"), "acc", CommissionSchedule(), None)
    with pytest.raises(ConfigurationError, match="ALPHAMOE_REDIS_URL"):
        broker_factory(BrokerSettings(adapter="qmt", qmt_account="8800"), "acc", CommissionSchedule(), None)


@pytest.mark.integration
def test_broker_factory_when_qmt_configured_then_a_qmt_broker_on_that_redis(redis_url: str) -> None:
    factory = broker_factory(
        BrokerSettings(adapter="qmt", qmt_account="8800", qmt_reply_timeout_s=1.5),
        "acc",
        CommissionSchedule(),
        redis_url,
    )
    broker = factory(date(2024, 3, 5))
    assert isinstance(broker, QmtBroker)
    assert (broker.account_id, broker.reply_timeout_s, broker.connected) == ("8800", 1.5, False)
