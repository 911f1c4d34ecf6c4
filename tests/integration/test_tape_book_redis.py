"""The paper session's tapes kept in Redis beside the function's journal, so a restarted execute resumes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import redis

from alphamoe.broker.journal import RedisJournal
from alphamoe.quotes.tape import Tape
from alphamoe.quotes.tapes import RedisTapeBook

pytestmark = pytest.mark.integration
DAY = date(2024, 3, 5)


def test_redis_tape_book_when_saved_then_a_new_connection_loads_them_by_day(redis_url: str) -> None:
    journal = RedisJournal(redis.Redis.from_url(redis_url), "acc")
    book = RedisTapeBook(journal.client, f"{journal.key}:tapes")
    started = Tape(baseline=300_000, open=Decimal("10.30"), high=Decimal("10.30"), low=Decimal("10.25"), volume=5)

    book.save(DAY, {"c1": started, "c2": Tape(baseline=None)})
    book.save(DAY, {"c2": Tape(baseline=None, open=Decimal("10.10"), high=Decimal("10.1"), low=Decimal("10"))})

    again = RedisTapeBook(redis.Redis.from_url(redis_url, decode_responses=True), "alphamoe:journal:acc:tapes")
    assert again.load(DAY) == {
        "c1": started,
        "c2": Tape(baseline=None, open=Decimal("10.10"), high=Decimal("10.1"), low=Decimal("10")),
    }
    assert again.load(date(2024, 3, 6)) == {}
