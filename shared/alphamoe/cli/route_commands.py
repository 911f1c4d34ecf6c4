"""CLI verbs of the router: `alphamoe explain <run_id> <symbol>` shows a signal's full decision trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.decisions.record import CallRecord, RouteTrail
from alphamoe.decisions.store import DecisionStore
from alphamoe.errors import DataError
from alphamoe.llm.settings import replaying
from alphamoe.pipeline.stages.route import decision_store
from alphamoe.settings import Settings


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


def explain(
    run_id: Annotated[str, typer.Argument(help="run id, as printed at the top of the day report")],
    symbol: Annotated[str, typer.Argument(help="e.g. 600519.SH")],
    full: Annotated[bool, typer.Option("--full", help="print whole reasoning and the prompt sent")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the trail and its calls as JSON")] = False,
    data: Annotated[Path | None, typer.Option("--data", help="bar store folder (locates <runs>/decisions)")] = None,
) -> None:
    """Show how the router decided one signal: gate, every expert's opinion, every LLM call behind them."""
    with friendly_errors():
        settings = load_settings(data)
        store = decision_store(settings)
        trail = _trail(store, run_id, symbol)
        calls = [c for o in trail.routed.opinions if o.call_key and (c := store.get_call(o.call_key)) is not None]
        if json_out:
            payload = {
                "trail": trail.model_dump(mode="json"),
                "calls": [c.model_dump(mode="json") for c in calls],
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
