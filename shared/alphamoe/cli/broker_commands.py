"""CLI verbs of the Trade Abstraction Layer: `alphamoe gateway` serves a broker adapter over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from alphamoe.broker.protocol import Broker
from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.errors import ConfigurationError
from alphamoe.settings import Settings


def gateway(
    adapter: Annotated[str, typer.Option(help="paper (day bars of --data) | miniqmt (xtquant on this host)")] = "paper",
    data: Annotated[Path | None, typer.Option("--data", help="bar store folder (paper)")] = None,
    host: Annotated[str, typer.Option(help="interface to bind; 0.0.0.0 only behind TLS and a firewall")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8765,
) -> None:
    """Serve a broker adapter over HTTP for a remote execute (token: ALPHAMOE_BROKER__TOKEN; TLS: __TLS_CERT/KEY)."""
    with friendly_errors():
        settings = load_settings(data)
        if settings.broker.token is None:
            raise ConfigurationError("the gateway needs ALPHAMOE_BROKER__TOKEN (the shared bearer token)")
        kind: Literal["paper", "miniqmt"] = "miniqmt" if adapter == "miniqmt" else "paper"
        factory = _factory(kind, settings)
        from alphamoe.broker.gateway import Gateway, make_server

        gw = Gateway(factory, settings.broker.token.get_secret_value())
        server = make_server(gw, host, port, certfile=settings.broker.tls_cert, keyfile=settings.broker.tls_key)
        scheme = "https" if settings.broker.tls_cert else "http"
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
    book = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash)

    def paper(day: date) -> Broker:
        return PaperBroker(store, day, book.opening_state(day), settings.commission)

    return paper
