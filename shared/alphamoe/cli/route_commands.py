"""CLI verbs of the router: `alphamoe explain <run_id> <symbol>` shows a signal's full decision trail:
the router's gate and opinions, then sizing's arithmetic, the order or why none, and risk's decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table

from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.decisions.record import CallRecord, RouteTrail
from alphamoe.decisions.store import DecisionStore
from alphamoe.errors import DataError
from alphamoe.llm.settings import replaying
from alphamoe.pipeline.stages.route import decision_store
from alphamoe.report.day import DayReport, OrderRow, UnsizedRow
from alphamoe.settings import Settings
from alphamoe.types import Side


def replay_settings(settings: Settings) -> Settings:
    """Return `settings` with LLM experts answering from the decision record only (`alphamoe run --replay`)."""
    return settings.model_copy(update={"llm": replaying(settings.llm)})


def _gate_table(trail: RouteTrail) -> Table:
    table = Table(title="Gate (which experts, and why)", title_justify="left")
    for header in ("expert", "selected", "weight", "why"):
        table.add_column(header, overflow="fold")
    for choice in trail.routed.gate:
        table.add_row(choice.expert, "yes" if choice.selected else "no", f"{choice.weight:.2f}", choice.why)
    return table


def _opinion_table(trail: RouteTrail) -> Table:
    table = Table(title="Opinions", title_justify="left")
    for header in ("expert", "kind", "verdict", "conf", "outcome", "tokens", "cost CNY", "ms", "reasoning"):
        table.add_column(header, overflow="fold")
    for o in trail.routed.opinions:
        table.add_row(
            o.expert,
            o.kind.value,
            o.verdict.value,
            f"{o.confidence:.2f}",
            o.outcome or ("fallback" if o.fallback else "rule"),
            "" if o.tokens is None else str(o.tokens),
            "" if o.cost_cny is None else str(o.cost_cny),
            "" if o.latency_ms is None else f"{o.latency_ms:.0f}",
            o.reasoning,
        )
    return table


def _print_call(record: CallRecord, full: bool) -> None:
    console.rule(f"call {record.expert} · {record.model} · {record.outcome}")
    console.print(
        f"key {record.key}\nprompt hash {record.prompt_hash} · input hash {record.input_hash}\n"
        f"tokens {record.usage.prompt_tokens} in ({record.usage.cache_hit_tokens} cached) / "
        f"{record.usage.completion_tokens} out ({record.usage.reasoning_tokens} reasoning) · {record.cost_cny} CNY · "
        f"{record.latency_ms:.0f} ms · attempts {', '.join(a.status for a in record.attempts) or '-'}",
        markup=False,
    )
    if record.dropped_keys:
        console.print(f"dropped keys (never used): {', '.join(record.dropped_keys)}", markup=False)
    if record.detail:
        console.print(f"detail: {record.detail}", markup=False)
    if record.repaired_from is not None:
        console.print(f"first (invalid) answer: {record.repaired_from}", markup=False)
    reasoning = record.reasoning or "(none returned)"
    console.print(f"reasoning: {reasoning if full else reasoning[:600]}", markup=False)
    console.print(f"response: {record.response}", markup=False)
    if full:
        console.print(f"prompt:\n{record.prompt}", markup=False)


def _trail(store: DecisionStore, run_id: str, symbol: str) -> RouteTrail:
    trail = store.get_route(run_id, symbol)
    if trail is None:
        known = store.route_symbols(run_id)
        hint = f"symbols recorded for that run: {', '.join(known[:20])}" if known else "no symbol recorded for that run"
        raise DataError(f"no decision of run {run_id!r} for {symbol} in {store.location}; {hint}")
    return trail


class AfterRouter(BaseModel):
    """What became of a routed signal past the router, from its run's day report."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    found: bool = Field(description="the run's day report is here")
    orders: list[OrderRow] = Field(default_factory=list, description="its buy: sizing's arithmetic, risk, status")
    unsized: list[UnsizedRow] = Field(default_factory=list, description="sizing's stated reason for no order")


def after_router(report: DayReport | None, symbol: str, signal_id: str) -> AfterRouter:
    """Return the signal's buy order (sizing's arithmetic, risk's decision, the broker's status) or sizing's
    stated reason for none, from the run's day report; `found` is False without that report."""
    if report is None:
        return AfterRouter(found=False)
    return AfterRouter(
        found=True,
        orders=[o for o in report.orders if o.symbol == symbol and o.side == Side.BUY],
        unsized=[u for u in report.unsized if u.symbol == symbol and u.signal_id == signal_id],
    )


def _print_order(order: OrderRow) -> None:
    console.rule(f"order {order.side.value} {order.quantity} @ {order.limit_price} · risk {order.risk or '-'}")
    console.print(
        f"status {order.status.value} · filled {order.filled_quantity}\n" + "\n".join(order.reasons), markup=False
    )


def _print_unsized(row: UnsizedRow) -> None:
    console.rule(f"no order · {row.code.value}")
    console.print(
        f"{row.reason}\np {row.p_win:.4f} · b {row.payoff:.4f} · f* {row.kelly:.4f} · fraction "
        f"{row.kelly_fraction:g} · confidence {row.confidence:.2f} · target weight {row.target_weight:.4f}"
        + (f" · limit {row.limit_price} · lot {row.lot}" if row.limit_price is not None else "")
        + (f" · {row.quantity} shares" if row.quantity else "")
        + ("\n" + "\n".join(row.notes) if row.notes else ""),
        markup=False,
    )


def _print_after_router(trail: AfterRouter, verdict: str) -> None:
    if not trail.found:
        console.print("[dim]no day report of this run here: sizing and risk not shown[/dim]")
        return
    for order in trail.orders:
        _print_order(order)
    for row in trail.unsized:
        _print_unsized(row)
    if not trail.orders and not trail.unsized:
        console.print(f"no order: the router's verdict was {verdict}, not confirm", markup=False)


def explain(
    run_id: Annotated[str, typer.Argument(help="run id, as printed at the top of the day report")],
    symbol: Annotated[str, typer.Argument(help="e.g. 600519.SH")],
    full: Annotated[bool, typer.Option("--full", help="print whole reasoning and the prompt sent")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the trail and its calls as JSON")] = False,
    data: Annotated[Path | None, typer.Option("--data", help="bar store folder (locates <runs>/decisions)")] = None,
) -> None:
    """Show how one signal was decided: the router's gate, every expert's opinion and LLM call, then sizing's
    arithmetic, the order or the stated reason for none, and risk's decision."""
    from alphamoe.report.assemble import day_report_of_run

    with friendly_errors():
        settings = load_settings(data)
        store = decision_store(settings)
        trail = _trail(store, run_id, symbol)
        calls = [c for o in trail.routed.opinions if o.call_key and (c := store.get_call(o.call_key)) is not None]
        sized = after_router(
            day_report_of_run(settings, trail.routed.trading_day, run_id), symbol, trail.routed.signal.signal_id
        )
        if json_out:
            payload = {
                "trail": trail.model_dump(mode="json"),
                "calls": [c.model_dump(mode="json") for c in calls],
                "sizing": sized.model_dump(mode="json"),
            }
            console.print_json(json.dumps(payload))
            return
        routed = trail.routed
        console.rule(f"{symbol} · {routed.trading_day} · run {run_id} · {routed.signal.strategy}")
        console.print(
            f"verdict {routed.verdict.value} · confidence {routed.confidence:.2f}\n{routed.reasoning_summary}",
            markup=False,
        )
        console.print(_gate_table(trail))
        console.print(_opinion_table(trail))
        for record in calls:
            _print_call(record, full)
        _print_after_router(sized, routed.verdict.value)
