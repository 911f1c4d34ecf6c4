"""Render the end-of-day report: one self-contained HTML page for a browser, rich tables for a terminal."""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal

from rich.console import Console

from alphamoe.report.colours import ABSTAIN, CONFIRM, DOWN, UP, VETO
from alphamoe.report.endofday import EndOfDayReport, ExpertReason
from alphamoe.report.render import _tables
from alphamoe.report.terminal import MORE_HINT, heading, print_table

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{margin-bottom:.2em}"
    ".sub{color:#666;margin-bottom:1.5em}.cards{display:flex;gap:1em;flex-wrap:wrap;margin-bottom:2em}"
    ".card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}"
    f".card b{{display:block;font-size:1.3em}}.up{{color:{UP}}}.down{{color:{DOWN}}}"
    "table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "font-size:13px;text-align:left;vertical-align:top}th{background:#f0f0f0}ul{margin:0;padding-left:1.1em}"
    f".confirm{{color:{CONFIRM}}}.veto{{color:{VETO}}}.abstain{{color:{ABSTAIN}}}"  # a verdict is neither up nor down
)


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.2f}%"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _cards(report: EndOfDayReport) -> list[tuple[str, str, str]]:
    """Return (label, value, css class) of the headline figures; red up, green down, as A-share screens show."""
    perf = report.performance
    tone = "up" if perf.pnl > 0 else "down" if perf.pnl < 0 else ""
    counts = {v: sum(1 for r in report.verdicts if r.verdict is not None and r.verdict.value == v) for v in
              ("confirm", "veto", "abstain")}  # fmt: skip
    return [
        ("equity", _money(perf.closing_equity), ""),
        ("P&L", _money(perf.pnl), tone),
        ("day return", _pct(perf.day_return), tone),
        (perf.benchmark or "benchmark", _pct(perf.benchmark_return), ""),
        ("excess", _pct(perf.excess_return), ""),
        ("signals", f"{len(report.verdicts)} ({counts['confirm']}✓ {counts['veto']}✗ {counts['abstain']}·)", ""),
        ("orders / fills", f"{len(report.day.orders)} / {len(report.day.fills)}", ""),
        ("rejections", str(len(report.rejections)), ""),
        ("LLM tokens · cost", f"{report.llm.total_tokens} · {report.llm.cost}", ""),
    ]


def _experts_html(experts: Sequence[ExpertReason]) -> str:
    items = []
    for e in experts:
        usage = "".join(f" · {html.escape(str(x))}" for x in (e.model, e.outcome) if x)
        usage += f" · {e.tokens} tok" if e.tokens is not None else ""
        usage += f" · ¥{e.cost}" if e.cost is not None else ""
        items.append(
            f"<li><span class='{e.verdict.value}'>{html.escape(e.expert)} {e.verdict.value} "
            f"{e.confidence:.2f}</span>{usage}: {html.escape(e.reasoning)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], raw_cols: frozenset[int] = frozenset()
) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if i in raw_cols else html.escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<h2>{html.escape(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sections(report: EndOfDayReport) -> list[str]:
    perf = report.performance
    out = [
        _table(
            "Clock",
            ["event", "status", "run", "trigger", "scheduled", "decided", "note"],
            [
                [
                    c.event.value,
                    c.status.value,
                    c.run_id or "",
                    c.trigger,
                    f"{c.scheduled_at:%H:%M}",
                    f"{c.decided_at.astimezone(c.scheduled_at.tzinfo):%H:%M:%S}",  # the tick's zone, not UTC
                    c.note,
                ]
                for c in report.clock
            ],
        ),
        _table(
            "Equity and P&L",
            ["opening equity", "closing equity", "P&L", "return", "benchmark", "benchmark return", "excess", "note"],
            [
                [
                    _money(perf.opening_equity),
                    _money(perf.closing_equity),
                    _money(perf.pnl),
                    _pct(perf.day_return),
                    perf.benchmark or "",
                    _pct(perf.benchmark_return),
                    _pct(perf.excess_return),
                    perf.note,
                ]
            ],
        ),
        _table(
            f"Signals and verdicts ({len(report.verdicts)})",
            ["rank", "symbol", "score", "verdict", "conf", "summary", "experts' reasons", "order"],
            [
                [
                    str(v.rank),
                    v.symbol,
                    f"{v.score:.3f}",
                    f"<span class='{v.verdict.value}'>{v.verdict.value}</span>" if v.verdict else "not routed",
                    "" if v.confidence is None else f"{v.confidence:.2f}",
                    html.escape(v.reasoning_summary),
                    _experts_html(v.experts),
                    html.escape(v.order),
                ]
                for v in report.verdicts
            ],
            raw_cols=frozenset(range(8)),
        ),
        _table(
            f"Rejections ({len(report.rejections)})",
            ["symbol", "side", "qty", "limit", "trading state", "rules"],
            [
                [
                    r.symbol,
                    r.side.value,
                    str(r.quantity),
                    str(r.limit_price),
                    r.trading_state,
                    "; ".join(f"{x.code}: {x.message}" for x in r.rules),
                ]
                for r in report.rejections
            ],
        ),
    ]
    # orders, fills and positions: the same sections `alphamoe run` prints
    out += [_table(title, headers, rows) for title, headers, rows in _tables(report.day, 0)[2:]]
    llm = report.llm
    out.append(
        _table(
            "LLM usage",
            ["calls", "prompt tokens", "completion tokens", "total tokens", "cost", "note"],
            [
                [
                    str(llm.calls),
                    str(llm.prompt_tokens),
                    str(llm.completion_tokens),
                    str(llm.total_tokens),
                    str(llm.cost),
                    llm.note,
                ]
            ],
        )
    )
    out.append(
        _table(
            "Latency by stage",
            ["stage", "inputs", "outputs", "ms", "p50 ms", "basis"],
            [
                [
                    s.stage,
                    str(s.inputs),
                    str(s.outputs),
                    f"{s.ms:.1f}",
                    "" if s.p50_ms is None else f"{s.p50_ms:.1f}",
                    s.basis,
                ]
                for s in report.latency
            ],
        )
    )
    return out


def render_html(report: EndOfDayReport) -> str:
    """Return the report as one HTML page with no external assets (opens from disk or object storage)."""
    cards = "".join(
        f"<div class='card'>{html.escape(label)}<b class='{tone}'>{html.escape(value)}</b></div>"
        for label, value, tone in _cards(report)
    )
    day = report.day
    subtitle = (
        f"run {report.run_id} · {report.source} · strategy {day.strategy} · data until {day.data_until} · "
        f"{day.calendar}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>alphamoe end of day {report.trading_day}</title><style>{_CSS}</style></head><body>"
        f"<h1>alphamoe · end of day {report.trading_day}</h1><div class='sub'>{html.escape(subtitle)}</div>"
        f"<div class='cards'>{cards}</div>{''.join(_sections(report))}</body></html>"
    )


def print_end_of_day(report: EndOfDayReport, console: Console, *, limit: int | None = 20) -> None:
    """Print the headline figures, the clock, verdicts with reasons (the first `limit`, None: all), rejections,
    usage and latency."""
    heading(console, f"alphamoe · end of day {report.trading_day} · run {report.run_id} · {report.source}")
    console.print("  ".join(f"{label}: [bold]{value}[/bold]" for label, value, _ in _cards(report)))
    if report.performance.note:
        console.print(f"[dim]{report.performance.note}[/dim]")
    for c in report.clock:
        console.print(f"[dim]clock {c.event.value} {c.status.value} ({c.trigger}): {c.note}[/dim]")
    verdicts = [
        [
            str(v.rank), v.symbol, v.verdict.value if v.verdict else "not routed",
            "" if v.confidence is None else f"{v.confidence:.2f}",
            "\n".join(f"{e.expert} {e.verdict.value} {e.confidence:.2f}: {e.reasoning}" for e in v.experts), v.order,
        ]
        for v in report.verdicts
    ]  # fmt: skip
    headers = ("rank", "symbol", "verdict", "conf", "experts' reasons", "order")
    print_table(console, f"Signals and verdicts ({len(verdicts)})", headers, verdicts, limit=limit, hint=MORE_HINT)
    if report.rejections:
        rows = [
            [r.symbol, r.side.value, str(r.quantity), "; ".join(f"{x.code}: {x.message}" for x in r.rules)]
            for r in report.rejections
        ]
        print_table(console, "Rejections", ("symbol", "side", "qty", "rules"), rows)
    console.print(
        f"orders {len(report.day.orders)} · fills {len(report.day.fills)} · positions {len(report.day.positions)} · "
        f"LLM {report.llm.calls} calls, {report.llm.total_tokens} tokens, cost {report.llm.cost}"
    )
    console.print("latency: " + ", ".join(f"{s.stage} {s.ms:.0f} ms" for s in report.latency))
