"""A live adapter without Redis refuses to start: an in-process journal cannot stop a second process.

Two concurrent `alphamoe run`s with the remote adapter and no Redis each journaled in memory and sent 48
client order ids twice; now neither starts, and the error says what is missing.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from alphamoe.broker.config import BrokerSettings
from alphamoe.broker.journal import MemoryJournal
from alphamoe.broker.wiring import execute_options
from alphamoe.errors import ConfigurationError
from alphamoe.market.fees import CommissionSchedule

LIVE = {
    "remote": BrokerSettings(adapter="remote", url="https://gateway.example:8443", token=SecretStr("t" * 40)),
    "miniqmt": BrokerSettings(adapter="miniqmt", qmt_path=r"D:\QMT\userdata_mini", qmt_account="8800001"),
}


@pytest.mark.parametrize("adapter", sorted(LIVE))
def test_execute_options_when_live_adapter_without_redis_then_refuses_naming_redis(adapter: str) -> None:
    with pytest.raises(ConfigurationError, match=f"ADAPTER={adapter} needs Redis") as caught:
        execute_options(LIVE[adapter], None, "acc", CommissionSchedule())
    assert "ALPHAMOE_REDIS_URL" in str(caught.value)


def test_execute_options_when_paper_without_redis_then_memory_journal_and_no_lease() -> None:
    options = execute_options(BrokerSettings(), None, "acc", CommissionSchedule())
    assert isinstance(options["journal"], MemoryJournal) and options["locks"] is None
