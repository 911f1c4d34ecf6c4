"""The gateway's bounded inputs against a real gateway on 127.0.0.1, spoken to with raw sockets where no client
library would send the request: the token before the body, a body limit checked on the declared length, never
a hang on a bad length, requests that must arrive in time, a bound on connections at once."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from support.broker_day import DAY
from support.gateway import closed_within, exchange, serving
from support.keys import GATEWAY_TOKEN

from alphamoe.broker.bounded_http import HttpLimits
from alphamoe.broker.gateway import BrokerFactory
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState

pytestmark = pytest.mark.integration
ORDERS = f"POST /v1/{DAY}/orders HTTP/1.1\nhost: gateway"
AUTH = f"authorization: Bearer {GATEWAY_TOKEN}"


@pytest.fixture(scope="module")
def factory(store: BarStore) -> BrokerFactory:
    opening = AccountState(account_id="acc", trading_day=DAY, cash=Decimal("100000"))
    brokers: dict[object, Broker] = {}
    return lambda day: brokers.setdefault(day, PaperBroker(store, day, opening, CommissionSchedule()))


@pytest.fixture(scope="module")
def port(factory: BrokerFactory) -> Iterator[int]:
    with serving(factory) as port:
        yield port


@pytest.mark.parametrize("token", ["", "authorization: Bearer not-the-token", "authorization: Basic abc"])
def test_gateway_when_token_wrong_then_401_before_the_body_is_read(port: int, token: str) -> None:
    # the body is declared and never sent: a gateway reading it first waits forever
    answer = exchange(port, f"{ORDERS}\n{token}\ncontent-length: 1000")
    assert answer.status == 401 and answer.json()["field"] == "authorization"
    assert answer.seconds < 1 and answer.closed


def test_gateway_when_token_wrong_and_100_continue_expected_then_refused_without_inviting_the_body(port: int) -> None:
    answer = exchange(port, f"{ORDERS}\nexpect: 100-continue\ncontent-length: 10")
    assert answer.status == 401 and answer.seconds < 1


def test_gateway_when_100_mb_body_declared_then_413_in_under_a_second_unread(port: int) -> None:
    answer = exchange(port, f"{ORDERS}\n{AUTH}\ncontent-length: {100 * 1024 * 1024}", b"{" * 65536)
    assert answer.status == 413 and answer.json()["field"] == "content-length"
    assert answer.seconds < 1 and answer.closed


def test_gateway_when_body_over_a_configured_limit_then_413_and_at_the_limit_read(factory: BrokerFactory) -> None:
    with serving(factory, limits=HttpLimits(max_body_bytes=100)) as port:
        assert exchange(port, f"{ORDERS}\n{AUTH}\ncontent-length: 101", b" " * 101).status == 413
        at_limit = exchange(port, f"{ORDERS}\n{AUTH}\ncontent-length: 100", b" " * 100)
        assert at_limit.status == 400 and at_limit.json()["field"] == "body"  # read, and not an order


@pytest.mark.parametrize(
    "length",
    [
        "content-length: -1",
        "content-length: abc",
        "content-length: 1e3",
        "content-length: +5",
        "content-length: 5\ncontent-length: 6",
    ],
)
def test_gateway_when_content_length_invalid_then_400_never_a_hang(port: int, length: str) -> None:
    answer = exchange(port, f"{ORDERS}\n{AUTH}\n{length}", b"{}")
    assert answer.status == 400 and answer.json()["field"] == "content-length"
    assert answer.seconds < 1


@pytest.mark.parametrize("framing", ["", "transfer-encoding: chunked"])
def test_gateway_when_post_without_a_length_then_411(port: int, framing: str) -> None:
    answer = exchange(port, f"POST /v1/{DAY}/session HTTP/1.1\nhost: gateway\n{AUTH}\n{framing}", b"0\r\n\r\n")
    assert answer.status == 411 and answer.json()["field"] == "content-length"


def test_gateway_when_request_half_sent_then_dropped_after_the_timeout(factory: BrokerFactory) -> None:
    with serving(factory, limits=HttpLimits(request_timeout_s=0.5)) as port:
        answer = exchange(port, f"{ORDERS}\n{AUTH}\ncontent-length: 100", b'{"client_order_id": ', timeout=3)
        assert answer.status is None and answer.seconds < 2  # dropped, not waited on
        with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
            conn.sendall(f"GET /v1/{DAY}/orders HTTP/1.1\r\nhost: gateway\r\n".encode())  # no blank line
            assert closed_within(conn, 2)


def test_gateway_when_request_trickles_in_then_dropped_at_the_deadline(factory: BrokerFactory) -> None:
    # a byte every 0.1 s never trips a per-read timeout of 0.5 s; the request's deadline still does
    with serving(factory, limits=HttpLimits(request_timeout_s=0.5)) as port:
        request = f"GET /v1/{DAY}/orders HTTP/1.1\r\nhost: gateway\r\nx-padding: {'p' * 100}\r\n\r\n".encode()
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
            for byte in request:
                if select.select([conn], [], [], 0.1)[0]:
                    break  # the gateway answered or closed: it did not wait for the rest
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    break
            assert closed_within(conn, 1)
        assert time.monotonic() - started < 2


def test_gateway_when_more_connections_than_the_bound_then_503_and_slots_come_back(factory: BrokerFactory) -> None:
    limits = HttpLimits(max_connections=2, queue_timeout_s=0.2, request_timeout_s=5)
    with serving(factory, limits=limits) as port:
        idle = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(2)]
        with socket.create_connection(("127.0.0.1", port), timeout=3) as third:
            assert third.recv(65536).startswith(b"HTTP/1.1 503")
        for conn in idle:
            conn.close()
        time.sleep(0.2)  # the two connection threads see the close and give their slots back
        assert exchange(port, "GET /health HTTP/1.1\nhost: gateway").status == 200
