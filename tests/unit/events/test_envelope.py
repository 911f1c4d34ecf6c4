"""Event contracts: build, encode, parse; every bad input names its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alphamoe.errors import EventError, InvalidPayloadError, MissingAttributeError, UnknownEventTypeError
from alphamoe.events import EVENT_TYPES, MarketOpen, OrderProposed, build_event, from_http, to_http
from alphamoe.types import Side

DAY = date(2024, 3, 1)


def _order() -> OrderProposed:
    return OrderProposed(
        trading_day=DAY,
        order_id="2024-03-01:paper:600000.SH:BUY",
        account_id="paper",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=300,
        limit_price=Decimal("7.12"),
        reference_price=Decimal("7.00"),
        target_weight=0.03,
        kelly_fraction=0.06,
    )


def test_round_trip_when_encoded_as_binary_http_then_payload_and_extensions_survive() -> None:
    sent = build_event(_order(), run_id="r1", source="/alphamoe/size", causation_id="cause-1")
    headers, body = to_http(sent)
    got = from_http(headers, body)
    assert headers["ce-tradingday"] == "2024-03-01"
    assert got.payload == sent.payload
    assert (got.id, got.run_id, got.causation_id, got.trading_day) == (sent.id, "r1", "cause-1", DAY)
    assert isinstance(got.payload.limit_price, Decimal)


def test_event_id_when_same_payload_and_run_then_identical_for_replay() -> None:
    a = build_event(MarketOpen(trading_day=DAY), run_id="r1", source="/x")
    b = build_event(MarketOpen(trading_day=DAY), run_id="r1", source="/y")
    c = build_event(MarketOpen(trading_day=DAY), run_id="r2", source="/x")
    assert a.id == b.id != c.id


def test_every_contract_type_when_listed_then_reverse_dns_under_com_alphamoe() -> None:
    assert len(EVENT_TYPES) == 15
    assert all(t.startswith("com.alphamoe.") for t in EVENT_TYPES)


def _http() -> tuple[dict[str, str], bytes]:
    return to_http(build_event(MarketOpen(trading_day=DAY), run_id="r1", source="/t"))


@pytest.mark.parametrize("attribute", ["ce-runid", "ce-tradingday", "ce-source", "ce-id"])
def test_from_http_when_attribute_missing_then_error_names_it(attribute: str) -> None:
    headers, body = _http()
    del headers[attribute]
    with pytest.raises(MissingAttributeError) as caught:
        from_http(headers, body)
    assert caught.value.field == attribute.removeprefix("ce-")


def test_from_http_when_type_unknown_then_unknown_type_error() -> None:
    headers, body = _http()
    headers["ce-type"] = "com.alphamoe.order.teleported"
    with pytest.raises(UnknownEventTypeError, match=r"order\.teleported"):
        from_http(headers, body)


def test_from_http_when_payload_field_invalid_then_error_names_the_field() -> None:
    headers, body = to_http(build_event(_order(), run_id="r", source="/t"))
    bad = body.replace(b'"quantity": 300', b'"quantity": -5')
    with pytest.raises(InvalidPayloadError) as caught:
        from_http(headers, bad)
    assert caught.value.field == "data.quantity"
    assert "-5" in str(caught.value)


def test_from_http_when_unknown_payload_field_then_rejected() -> None:
    headers, body = _http()
    with pytest.raises(InvalidPayloadError, match="buy_everything"):
        from_http(headers, body[:-1] + b', "buy_everything": true}')


def test_from_http_when_tradingday_disagrees_with_payload_then_rejected() -> None:
    headers, body = _http()
    headers["ce-tradingday"] = "2024-03-04"
    with pytest.raises(InvalidPayloadError, match="differs"):
        from_http(headers, body)


def test_from_http_when_body_not_json_then_event_error() -> None:
    headers, _ = _http()
    with pytest.raises(EventError):
        from_http(headers, b"{not json")


def test_payload_when_mutated_then_frozen_refuses() -> None:
    order = _order()
    with pytest.raises(ValueError, match="frozen"):
        order.quantity = 100  # type: ignore[misc]
