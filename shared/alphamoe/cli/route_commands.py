"""CLI verbs of the router: `alphamoe explain <run_id> <symbol>` shows a signal's full decision trail:
the router's gate and opinions, then sizing's arithmetic, the order or why none, and risk's decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alphamoe.cli.common import (
    DataOption,
    LegacyJsonSwitch,
    OutputFormat,
    OutputOption,
    console,
    friendly_errors,
    load_core_settings,
    output_format,
)
from alphamoe.errors import DataError
from alphamoe.report.terminal import heading, print_table

if TYPE_CHECKING:
    from alphamoe.decisions.record import CallRecord, RouteTrail
    from alphamoe.decisions.store import DecisionStore
    from alphamoe.evaluate.model import TrackRecord
    from alphamoe.report.day import OrderRow, UnsizedRow
    from alphamoe.report.trail import AfterRouter
    from alphamoe.settings import Settings
    from alphamoe.settings_core import CoreSettings


def replay_settings(settings: Settings) -> Settings:
    """Return `settings` with LLM experts answering from the decision record only (`alphamoe run --replay`)."""
    from alphamoe.llm.settings import replaying

    return settings.model_copy(update={"llm": replaying(settings.llm)})


def _print_gate(trail: RouteTrail) -> None:
    rows = [
        [choice.expert, "yes" if choice.selected else "no", f"{choice.weight:.2f}", choice.why]
        for choice in trail.routed.gate
    ]
    print_table(console, "Gate (which experts, and why)", ("expert", "selected", "weight", "why"), rows)


def _track_records(
    path: Path | None, trail: RouteTrail, settings: CoreSettings, store: DecisionStore
) -> list[TrackRecord] | None:
    """The experts' records on the signal's board before its day: from an evaluate file, else from the decision
    record as the route stage computes them (`evaluate.recorded`); None when there are none."""
    board = trail.routed.signal.board.value
    if path is not None:
        from alphamoe.evaluate.explain import load_evaluation, records_before

        return records_before(load_evaluation(path), board, trail.routed.trading_day)
    from alphamoe.evaluate.recorded import day_track
    from alphamoe.market.bars import BarStore, has_bar_store

    if not has_bar_store(settings.data, s3=settings.s3):
        return None
    records = day_track(store, BarStore(settings.data, s3=settings.s3), trail.routed.trading_day).on_board(board)
    return records or None


def _print_track_records(records: list[TrackRecord], trail: RouteTrail) -> None:
    from alphamoe.evaluate.explain import track_rows

    headers = ("expert", "regime", "n", "hit rate", "conf", "Brier", "gate ×")
    board = trail.routed.signal.board.value
    print_table(console, f"Track records on {board} (point in time, 5 sessions)", headers, track_rows(records))


def _print_opinions(trail: RouteTrail) -> None:
    headers = ("expert", "kind", "verdict", "conf", "outcome", "tokens", "cost CNY", "ms", "reasoning")
    rows = []
    for o in trail.routed.opinions:
        rows.append([
            o.expert,
            o.kind.value,
            o.verdict.value,
            f"{o.confidence:.2f}",
            o.outcome or ("fallback" if o.fallback else "rule"),
            "" if o.tokens is None else str(o.tokens),
            "" if o.cost_cny is None else str(o.cost_cny),
            "" if o.latency_ms is None else f"{o.latency_ms:.0f}",
            o.reasoning,
        ])  # fmt: skip
    print_table(console, "Opinions", headers, rows)


def _print_call(record: CallRecord, full: bool) -> None:
    heading(console, f"call {record.expert} · {record.model} · {record.outcome}")
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
    cut = "" if full or len(reasoning) <= 600 else f" … {len(reasoning) - 600:,} more characters (use --full)"
    console.print(f"reasoning: {reasoning if full else reasoning[:600]}{cut}", markup=False)
    console.print(f"response: {record.response}", markup=False)
    if full:
        console.print(f"prompt:\n{record.prompt}", markup=False)


def _trail(store: DecisionStore, run_id: str, symbol: str) -> RouteTrail:
    trail = store.get_route(run_id, symbol)
    if trail is None:
        known = store.route_symbols(run_id)
        hint = f"{len(known)} symbols recorded for that run, e.g. {', '.join(known[:20])}" if known else "none recorded"
        raise DataError(f"no decision of run {run_id!r} for {symbol} in {store.location}; {hint}")
    return trail


def _print_order(order: OrderRow) -> None:
    heading(console, f"order {order.side.value} {order.quantity} @ {order.limit_price} · risk {order.risk or '-'}")
    console.print(
        f"status {order.status.value} · filled {order.filled_quantity}\n" + "\n".join(order.reasons), markup=False
    )


def _print_unsized(row: UnsizedRow) -> None:
    heading(console, f"no order · {row.code.value}")
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
    output: OutputOption = OutputFormat.TABLE,
    data: DataOption = None,
    legacy_json: LegacyJsonSwitch = False,
    track_records: Annotated[
        Path | None,
        typer.Option(
            "--track-records",
            help="an `alphamoe evaluate -o json` file ending before the day: experts' records here "
            "(default: from the decision record, point in time, when it holds any)",
        ),
    ] = None,
) -> None:
    """Show how one signal was decided: the router's gate, every expert's opinion and LLM call, then sizing's
    arithmetic, the order or the stated reason for none, and risk's decision."""
    from alphamoe.decisions.store import decision_store

    with friendly_errors():
        settings = load_core_settings(data)  # the core alone: explain reads a finished day (issue 18)
        store = decision_store(settings)
        trail = _trail(store, run_id, symbol)
        calls = [c for o in trail.routed.opinions if o.call_key and (c := store.get_call(o.call_key)) is not None]
        from alphamoe.report.store import day_report_of_run  # the day's reports, once the decision is found
        from alphamoe.report.trail import after_router

        sized = after_router(
            day_report_of_run(settings, trail.routed.trading_day, run_id), symbol, trail.routed.signal.signal_id
        )
        records = _track_records(track_records, trail, settings, store)
        if output_format(output, legacy_json) is OutputFormat.JSON:
            payload = {
                "trail": trail.model_dump(mode="json"),
                "calls": [c.model_dump(mode="json") for c in calls],
                "sizing": sized.model_dump(mode="json"),
            }
            if records is not None:
                payload["track_records"] = [r.model_dump(mode="json") for r in records]
            console.print_json(json.dumps(payload))
            return
        routed = trail.routed
        heading(console, f"{symbol} · {routed.trading_day} · run {run_id} · {routed.signal.strategy}")
        console.print(
            f"verdict {routed.verdict.value} · confidence {routed.confidence:.2f}\n{routed.reasoning_summary}",
            markup=False,
        )
        _print_gate(trail)
        _print_opinions(trail)
        if records is not None:
            _print_track_records(records, trail)
        for record in calls:
            _print_call(record, full)
        _print_after_router(sized, routed.verdict.value)
