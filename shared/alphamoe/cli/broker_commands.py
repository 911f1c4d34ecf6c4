"""CLI verbs of the Trade Abstraction Layer: `alphamoe gateway` serves a broker adapter over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from alphamoe.cli.common import DataOption, console, friendly_errors, load_settings
from alphamoe.errors import ConfigurationError

if TYPE_CHECKING:
    from alphamoe.broker.protocol import Broker
    from alphamoe.settings import Settings


def gateway(
    adapter: Annotated[str, typer.Option(help="paper (day bars of --data) | miniqmt (xtquant on this host)")] = "paper",
    data: DataOption = None,
    host: Annotated[str, typer.Option(help="interface to bind; anything but loopback needs TLS")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8765,
    max_body: Annotated[int, typer.Option(help="largest request body in bytes (larger: 413, unread)")] = 1 << 20,
    timeout: Annotated[float, typer.Option(help="seconds a request may take to arrive (then dropped)")] = 10.0,
    max_connections: Annotated[int, typer.Option(help="connections served at once (more: wait, then 503)")] = 32,
) -> None:
    """Serve a broker adapter over HTTP for a remote execute (token: ALPHAMOE_BROKER__TOKEN, 32+ bytes;
    TLS: __TLS_CERT and __TLS_KEY)."""
    with friendly_errors():
        settings = load_settings(data)
        from alphamoe.broker.bounded_http import HttpLimits
        from alphamoe.broker.gateway import Gateway, make_server

        limits = HttpLimits(max_body_bytes=max_body, request_timeout_s=timeout, max_connections=max_connections)
        kind: Literal["paper", "miniqmt"] = "miniqmt" if adapter == "miniqmt" else "paper"
        gw = Gateway(_factory(kind, settings), settings.broker.token)
        b = settings.broker
        server = make_server(gw, host, port, certfile=b.tls_cert, keyfile=b.tls_key, limits=limits)
        scheme = "https" if server.tls else "http"
        console.print(f"gateway {gw.gateway_id} ({kind}) on {scheme}://{host}:{server.server_address[1]}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _factory(kind: Literal["paper", "miniqmt"], settings: Settings) -> Callable[[date], Broker]:
    if kind == "miniqmt":
        from alphamoe.broker.miniqmt import MiniQmtBroker

        b = settings.broker
        if not b.qmt_path or not b.qmt_account:
            raise ConfigurationError("--adapter miniqmt needs ALPHAMOE_BROKER__QMT_PATH and __QMT_ACCOUNT")
        path, account = b.qmt_path, b.qmt_account

        def miniqmt(day: date) -> Broker:
            return MiniQmtBroker(path, account, day, commission=settings.commission)

        return miniqmt
    from alphamoe.broker.paper import PaperBroker
    from alphamoe.market.bars import BarStore
    from alphamoe.pipeline.accounts import AccountBook

    store = BarStore(settings.data)
    book = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash, actions=store)

    def paper(day: date) -> Broker:
        return PaperBroker(store, day, book.opening_state(day), settings.commission)

    return paper
