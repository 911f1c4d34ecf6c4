"""Malformed requests to a real gateway on 127.0.0.1: every one a 4xx naming the field, never a 500, and no more
than 200 characters of the input echoed back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from support.broker_day import DAY
from support.gateway import exchange, serving
from support.keys import GATEWAY_TOKEN

from alphamoe.broker.bounded_http import ECHO_CHARS
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState

pytestmark = pytest.mark.integration
LONG = "x" * 5000
ORDER: dict[str, Any] = {
    "client_order_id": "AMGATEWAYTEST0000001",
    "order_id": f"{DAY}:acc:600000.SH:BUY",
    "account_id": "acc",
    "trading_day": DAY.isoformat(),
    "symbol": "600000.SH",
    "side": "BUY",
    "quantity": 100,
    "limit_price": "10.50",
}


@pytest.fixture(scope="module")
def port(store: BarStore) -> Iterator[int]:
    opening = AccountState(account_id="acc", trading_day=DAY, cash=Decimal("100000"))
    brokers: dict[object, Broker] = {}
    with serving(lambda day: brokers.setdefault(day, PaperBroker(store, day, opening, CommissionSchedule()))) as port:
        yield port


@pytest.fixture
def client(port: int) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {GATEWAY_TOKEN}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=5) as client:
        yield client


def _echo_bounded(text: str) -> bool:
    # LONG is 5,000 characters: at most ECHO_CHARS of it come back, in a short message
    return "x" * (ECHO_CHARS + 1) not in text and len(text) < 1000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[1]", "body"),
        (b"null", "body"),
        (b"{", "body"),
        (b"\xff\xfe", "body"),
        (b'{"quantity": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "body"),  # nesting past the parser's limit
        (json.dumps(ORDER | {"quantity": 1e30}).encode(), "quantity"),
        (json.dumps(ORDER | {"quantity": "1e30"}).encode(), "quantity"),
        (json.dumps(ORDER | {"limit_price": "NaN"}).encode(), "limit_price"),
        (json.dumps(ORDER | {"side": None}).encode(), "side"),
        (json.dumps(ORDER | {"symbol": LONG}).encode(), "symbol"),
        (json.dumps([ORDER] * 3).encode(), "body"),
    ],
)
def test_gateway_when_order_body_malformed_then_400_naming_the_field(
    client: httpx.Client, body: bytes, field: str
) -> None:
    answer = client.post(f"/v1/{DAY}/orders", content=body)
    assert answer.status_code == 400 and answer.json()["field"] == field
    assert _echo_bounded(answer.json()["error"])


def test_gateway_when_order_has_a_long_unknown_field_then_its_name_is_cut(client: httpx.Client) -> None:
    answer = client.post(f"/v1/{DAY}/orders", content=json.dumps(ORDER | {LONG: 1}))
    assert answer.status_code == 400 and answer.json()["field"].startswith("x" * ECHO_CHARS)
    assert _echo_bounded(answer.json()["error"]) and len(answer.json()["field"]) < 2 * ECHO_CHARS


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/not-a-day/orders", "day"),
        (f"/v1/{LONG}/orders", "day"),
        (f"/v1/{DAY}/events?after=-3", "after"),
        (f"/v1/{DAY}/events?after=abc", "after"),
        (f"/v1/{DAY}/events?after={'9' * 400}", "after"),
        (f"/v1/{DAY}/events?wait=nan", "wait"),
        (f"/v1/{DAY}/events?wait=-1", "wait"),
    ],
)
def test_gateway_when_path_or_query_malformed_then_400_naming_it(client: httpx.Client, path: str, field: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400 and answer.json()["field"] == field
    assert _echo_bounded(answer.json()["error"])


@pytest.mark.parametrize(("method", "path"), [("GET", f"/{LONG}"), ("POST", f"/v1/{DAY}/orders/{LONG}/cancel")])
def test_gateway_when_nothing_there_then_404_with_the_echo_cut(client: httpx.Client, method: str, path: str) -> None:
    answer = client.request(method, path, content=b"" if method == "POST" else None)
    assert answer.status_code == 404 and _echo_bounded(answer.json()["error"])


def test_gateway_when_request_line_malformed_then_http_servers_own_error_is_cut(port: int) -> None:
    answer = exchange(port, f"GET /orders {LONG} HTTP/1.1\nhost: gateway")  # four words: bad syntax
    assert answer.status == 400 and _echo_bounded(answer.body.decode() + str(answer.headers))


def test_gateway_when_the_day_has_no_broker_then_503_not_500(client: httpx.Client) -> None:
    # the paper account opens on DAY: a day before it cannot be served, which is no bug of the gateway
    answer = client.post("/v1/1999-01-04/session", content=b"")
    assert answer.status_code == 503 and "1999-01-04" in answer.json()["error"]


def test_gateway_when_order_well_formed_then_served_on_a_kept_alive_connection(client: httpx.Client) -> None:
    first = client.post(f"/v1/{DAY}/orders", content=json.dumps(ORDER))
    second = client.get(f"/v1/{DAY}/orders")
    assert first.status_code == 200 and second.status_code == 200
    assert [o["client_order_id"] for o in second.json()] == [ORDER["client_order_id"]]
