"""Render a day report as rich tables (terminal) and a self-contained HTML page."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from alphamoe.report.day import DayReport
from alphamoe.report.phrases import counts_phrase
from alphamoe.report.terminal import heading, print_table
from alphamoe.storage.local import write_atomically


def _tables(report: DayReport, limit: int | None = None) -> list[tuple[str, list[str], list[list[str]]]]:
    """Return (title, headers, rows) for each section; the single source of both renderings.

    `limit`: signals and verdicts kept (None: all; the terminal renderer counts what it leaves out).

    The first two are signals and verdicts (the end-of-day page shows its own); the track records the gate
    applied and corporate actions at the open follow only on a day that has them.
    """
    actions = [
        (
            f"Corporate actions at the open ({len(report.opening_actions)})",
            ["symbol", "ex date", "actions", "held", "shares added", "cash credited", "tax", "receivable", "pay date"],
            [
                [
                    a.symbol,
                    a.ex_date.isoformat(),
                    "; ".join(a.actions),
                    str(a.held),
                    str(a.shares_added),
                    str(a.cash),
                    str(a.tax),
                    str(a.receivable),
                    "" if a.pay_date is None else a.pay_date.isoformat(),
                ]
                for a in report.opening_actions
            ],
        )
    ]
    return [
        (
            f"Signals ({len(report.signals)} of {report.universe_size} stocks; "
            f"excluded: {counts_phrase(report.excluded)})",
            ["rank", "symbol", "score", "p_win", "payoff", "n", "ref price"],
            [
                [
                    str(s.rank),
                    s.symbol,
                    f"{s.score:.3f}",
                    f"{s.p_win:.2f}",
                    f"{s.payoff:.2f}",
                    str(s.n_trades),
                    str(s.reference_price),
                ]
                for s in report.signals[:limit]
            ],
        ),
        (
            "Verdicts (router)",
            ["symbol", "verdict", "conf", "reasoning_summary"],
            [[r.symbol, r.verdict.value, f"{r.confidence:.2f}", r.reasoning_summary] for r in report.routed[:limit]],
        ),
        *(_track_table(report, limit) if any(r.track_records for r in report.routed) else []),
        *(actions if report.opening_actions else []),
        (
            "Orders (size → risk → execute)",
            ["client id", "symbol", "side", "qty", "limit", "status", "filled", "reasons"],
            [
                [
                    o.client_order_id,
                    o.symbol,
                    o.side.value,
                    str(o.quantity),
                    str(o.limit_price),
                    o.status.value,
                    str(o.filled_quantity),
                    "; ".join(o.reasons),
                ]
                for o in report.orders
            ],
        ),
        (
            f"Confirmed, not ordered: why ({len(report.unsized)})",
            ["symbol", "why", "p / b / f* × fraction", "conf", "target w", "limit × lot", "reason"],
            [
                [
                    u.symbol,
                    u.code.value,
                    f"{u.p_win:.4f} / {u.payoff:.4f} / {u.kelly:.4f} × {u.kelly_fraction:g}",
                    f"{u.confidence:.2f}",
                    f"{u.target_weight:.4f}",
                    "" if u.limit_price is None else f"{u.limit_price} × {u.lot}",
                    u.reason,
                ]
                for u in report.unsized
            ],
        ),
        (
            "Fills",
            ["symbol", "side", "qty", "price", "fees"],
            [[f.symbol, f.side.value, str(f.quantity), str(f.price), str(f.fees)] for f in report.fills],
        ),
        (
            f"Positions at the close (cash {report.cash}, equity {report.equity})",
            ["symbol", "qty", "sellable", "cost", "last", "value"],
            [
                [p.symbol, str(p.quantity), str(p.sellable), str(p.cost), str(p.last_price), str(p.market_value)]
                for p in report.positions
            ],
        ),
    ]


def _track_table(report: DayReport, limit: int | None) -> list[tuple[str, list[str], list[list[str]]]]:
    # the experts' track records the gate weighed them by (opt-in), from each verdict's gate trail
    rows = [[r.symbol, "; ".join(r.track_records)] for r in report.routed[:limit] if r.track_records]
    return [("Track records the gate applied (point in time)", ["symbol", "expert: multiplier"], rows)]


def print_report(report: DayReport, console: Console, *, limit: int | None = 15) -> None:
    """Print the report's sections as tables: the first `limit` signals and verdicts (None: all), the rest counted."""
    heading(console, f"alphamoe · {report.trading_day} · run {report.run_id} · {report.strategy}")
    console.print(f"trading calendar: {report.calendar}", style="dim", markup=False)
    for i, (title, headers, rows) in enumerate(_tables(report)):
        print_table(console, title, headers, rows, limit=limit if i < 2 else None)  # signals and verdicts
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in report.stage_ms.items())
    console.print(f"[dim]stage time: {timings}[/dim]")


def _html_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(report: DayReport, path: Path) -> Path:
    """Write the whole report (all signals and verdicts) as one HTML file."""
    sections = "".join(_html_table(*t) for t in _tables(report))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>alphamoe {report.trading_day}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f0f0f0}"
        "</style></head><body>"
        f"<h1>alphamoe · {report.trading_day} · run {html.escape(report.run_id)}</h1>{sections}</body></html>"
    )
    return write_atomically(path, page.encode("utf-8"))
