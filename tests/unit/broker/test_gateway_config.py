"""What the gateway refuses to start with (a weak token, half a TLS pair, a network bind in clear), and TLS that a
silent client cannot stall."""

from __future__ import annotations

import socket
import socketserver
import ssl
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from support.broker_day import DAY
from support.gateway import self_signed, serving
from support.keys import GATEWAY_TOKEN
from typer.testing import CliRunner

from alphamoe.broker.gateway import BrokerFactory, Gateway, make_server
from alphamoe.broker.paper import PaperBroker
from alphamoe.cli.app import app
from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState


@pytest.fixture(scope="module")
def factory(store: BarStore) -> BrokerFactory:
    opening = AccountState(account_id="acc", trading_day=DAY, cash=Decimal("100000"))
    return lambda day: PaperBroker(store, day, opening, CommissionSchedule())


@pytest.mark.parametrize(
    "token", [None, "", "x", "y" * 31, "replace-with-the-broker-gateway-token", "changeme" * 4, "a" * 64]
)
def test_gateway_when_token_short_or_placeholder_then_refused_naming_the_setting(
    factory: BrokerFactory, token: str | None
) -> None:
    with pytest.raises(ConfigurationError, match="ALPHAMOE_BROKER__TOKEN") as refused:
        Gateway(factory, token)
    assert len(token or "") < 8 or token not in str(refused.value)  # never echoed


def test_gateway_when_token_32_random_bytes_then_accepted(factory: BrokerFactory) -> None:
    assert Gateway(factory, "k3Vq9ZpX2mLr7TcW4bYn8HsJ0dFgA6eU").authorised("Bearer k3Vq9ZpX2mLr7TcW4bYn8HsJ0dFgA6eU")


@pytest.mark.parametrize("half", ["certfile", "keyfile"])
def test_make_server_when_half_a_tls_pair_then_refused_not_served_in_clear(
    factory: BrokerFactory, tmp_path: Path, half: str
) -> None:
    cert, key = self_signed(tmp_path)
    with pytest.raises(ConfigurationError, match="TLS"):
        make_server(Gateway(factory, GATEWAY_TOKEN), **{half: cert if half == "certfile" else key})


@pytest.mark.parametrize("host", ["0.0.0.0", "", "10.1.2.3", "gateway.example.com"])
def test_make_server_when_network_bind_without_tls_then_refused(factory: BrokerFactory, host: str) -> None:
    with pytest.raises(ConfigurationError, match="without TLS"):
        make_server(Gateway(factory, GATEWAY_TOKEN), host)


def test_make_server_when_network_bind_with_tls_or_loopback_then_bound(factory: BrokerFactory, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    for server in (
        make_server(Gateway(factory, GATEWAY_TOKEN), "0.0.0.0", certfile=cert, keyfile=key),
        make_server(Gateway(factory, GATEWAY_TOKEN), "localhost"),
    ):
        assert server.server_address[1] > 0
        server.server_close()


@pytest.mark.integration
def test_gateway_when_a_tls_client_stays_silent_then_others_are_still_served(
    factory: BrokerFactory, tmp_path: Path
) -> None:
    # the handshake runs in the connection's thread: a peer that never sends its hello stalls only itself
    cert, key = self_signed(tmp_path)
    with serving(factory, certfile=cert, keyfile=key) as port, socket.create_connection(("127.0.0.1", port)):
        verify = ssl.create_default_context(cafile=str(cert))
        answer = httpx.get(f"https://127.0.0.1:{port}/health", verify=verify, timeout=3)
        assert answer.status_code == 200


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({"ALPHAMOE_BROKER__TOKEN": "short"}, [], "ALPHAMOE_BROKER__TOKEN is 5 bytes"),
        ({"ALPHAMOE_BROKER__TLS_CERT": "cert.pem"}, [], "ALPHAMOE_BROKER__TLS_KEY"),
        ({}, ["--host", "0.0.0.0"], "without TLS"),
        ({}, ["--max-body", "0"], "max_body_bytes"),
    ],
)
def test_gateway_cli_when_misconfigured_then_exits_2_with_one_line(
    store: BarStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str], says: str
) -> None:
    def serve_forever(*_: object) -> None:
        raise AssertionError("the gateway started serving")  # a hang, had it been the real one

    monkeypatch.setattr(socketserver.BaseServer, "serve_forever", serve_forever)
    monkeypatch.setenv("ALPHAMOE_BROKER__TOKEN", GATEWAY_TOKEN)
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("ALPHAMOE_DATA", str(store.root))
    for name, value in env.items():
        monkeypatch.setenv(name, str(tmp_path / value) if name.endswith("CERT") else value)
    if "ALPHAMOE_BROKER__TLS_CERT" in env:
        self_signed(tmp_path)
    result = CliRunner().invoke(app, ["gateway", "--port", "0", *args])
    assert result.exit_code == 2 and says in " ".join(result.output.split()), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
