"""`alphamoe console`: the operator's web console (Today, Account, Risk, Fabric, History) on this machine."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from alphamoe.cli.common import console, friendly_errors


def console_command(
    data: Annotated[
        str | None, typer.Option("--data", help="bar store folder (default: the cluster's, else $ALPHAMOE_DATA)")
    ] = None,
    host: Annotated[
        str, typer.Option(help="interface to listen on; off loopback it needs TLS or an explicit setting")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option(help="TCP port")] = 8765,
    hash_password: Annotated[
        bool, typer.Option("--hash-password", help="print the scrypt hash of a password for ALPHAMOE_CONSOLE__USERS")
    ] = False,
) -> None:
    """Serve the web console; with no users configured, print a one-time operator login URL (loopback only)."""
    if hash_password:
        from alphamoe.console.auth import hash_password as scrypt_hash

        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        print(scrypt_hash(password))
        return
    import uvicorn

    from alphamoe.cli.fabric_commands import fabric_settings
    from alphamoe.console.app import build_app
    from alphamoe.console.auth import check_bind

    with friendly_errors():
        settings = fabric_settings(data)
        cfg = settings.console
        check_bind(host, cfg)
        tls = cfg.tls_certfile is not None
        served, app = build_app(settings, secure_cookies=tls)
        scheme, shown = ("https" if tls else "http"), ("127.0.0.1" if host in ("0.0.0.0", "::") else host)
        if served.token is not None:
            console.print(
                f"no console users configured: sign in once as operator at\n  {scheme}://{shown}:{port}/login?token={served.token.value}"
            )
        else:
            console.print(f"console at {scheme}://{shown}:{port}/ ({len(cfg.users)} users)")
        console.print(f"audit log: {served.audit.path}")
        threading.Thread(target=served.data.today, name="warm-latest-day", daemon=True).start()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=str(cfg.tls_certfile) if cfg.tls_certfile else None,
        ssl_keyfile=str(cfg.tls_keyfile) if cfg.tls_keyfile else None,
    )
