"""CLI verbs of the alerts: run the watcher, send a test message, show the channels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alphamoe.alerts.names import ChannelName
from alphamoe.cli.common import console, err_console, friendly_errors, load_settings

if TYPE_CHECKING:
    from alphamoe.alerts.watch import ReportLookup
    from alphamoe.settings import Settings

alerts_app = typer.Typer(
    no_args_is_help=True, help="Push fills, rejections, halts, dead letters and the day's summary to chat and email."
)


@alerts_app.command("run")
def run(
    data: Annotated[str | None, typer.Option("--data", help="bar store (default: the cluster's)")] = None,
    directory: Annotated[Path | None, typer.Option("--dir", help="cluster folder (default <runs>/cluster)")] = None,
    function: Annotated[
        list[str] | None, typer.Option("--function", help="name=URL of a function to probe for readiness (repeatable)")
    ] = None,
) -> None:
    """Watch the fabric and send alerts until Ctrl-C; its own process, so trading never waits on a send."""
    import logging
    import signal
    import threading

    from alphamoe.alerts.dispatch import Dispatcher
    from alphamoe.alerts.watch import FabricWatch
    from alphamoe.alerts.wiring import enabled_channels
    from alphamoe.cli.fabric_commands import cluster_dir, fabric_settings
    from alphamoe.cluster.supervisor import ready
    from alphamoe.errors import ConfigurationError
    from alphamoe.kv.client import connect
    from alphamoe.security.redact import redact

    with friendly_errors():
        settings = fabric_settings(data, directory)
        if not settings.redis_url:
            raise ConfigurationError("alerts run needs ALPHAMOE_REDIS_URL, or a local cluster (`alphamoe cluster up`)")
        channels = enabled_channels(settings.alerts)
        if not channels:
            raise ConfigurationError(
                "no alert channel enabled: set ALPHAMOE_ALERTS__<WECOM|FEISHU|DINGTALK|TELEGRAM|EMAIL>__ENABLED=true "
                "and its credentials"
            )
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the webhook keys
        if bad := [f for f in function or [] if "=" not in f]:
            raise ConfigurationError(f"--function {bad[0]!r} is not name=URL (e.g. risk=http://127.0.0.1:8081)")
        given = dict(f.split("=", 1) for f in function or [])
        functions = settings.alerts.functions or given or _cluster_functions(cluster_dir(settings, directory))
        dispatcher = Dispatcher(channels).start()
        watch = FabricWatch(
            connect(settings.redis_url),
            dispatcher.submit,
            settings.alerts,
            reports=_report_lookup(settings),
            functions=functions,
            probe=ready,
        )
        watch.prime()
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        names = ", ".join(str(channel.name) for channel, _ in channels)
        console.print(
            f"alerts: watching {redact(settings.redis_url)} → {names}; "
            f"readiness of: {', '.join(sorted(functions)) or 'no function'}"
        )
        watch.run(stop)
        dispatcher.stop()
        for name, stats in dispatcher.stats().items():
            console.print(
                f"{name}: {stats.sent} alerts in {stats.messages} messages, {stats.retries} retries, "
                f"{stats.failed} failed, {stats.dropped} dropped"
            )


def _cluster_functions(folder: Path) -> dict[str, str]:
    from alphamoe.cluster.state import read_state
    from alphamoe.errors import ConfigurationError

    try:
        children = read_state(folder)["children"]
    except ConfigurationError:
        return {}
    return {name: child["url"] for name, child in children.items() if child.get("url")}


def _report_lookup(settings: Settings) -> ReportLookup:
    from alphamoe.alerts.wiring import report_lookup
    from alphamoe.report.store import ReportStore, report_location

    return report_lookup(ReportStore.open(report_location(settings)))


@alerts_app.command("test")
def test(
    channel: Annotated[ChannelName, typer.Option("--channel", help="the channel to send a test message to")],
) -> None:
    """Send one test message now (enabled or not), to check the URL, key, secret and signing."""
    from datetime import UTC, datetime

    from rich.markup import escape

    from alphamoe.alerts.channels.base import DeliveryError
    from alphamoe.alerts.sources import probe_alert
    from alphamoe.alerts.wiring import build_channel
    from alphamoe.security.redact import redact

    with friendly_errors():
        target = build_channel(channel, load_settings().alerts)
        try:
            target.send([probe_alert(datetime.now(UTC))])
        except DeliveryError as exc:
            err_console.print(f"[bold red]not sent:[/bold red] {escape(redact(str(exc)))}")
            raise typer.Exit(1) from None
        finally:
            target.close()
        console.print(f"sent a test message to {channel.value}")
