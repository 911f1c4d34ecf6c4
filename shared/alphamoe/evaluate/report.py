"""The evaluation's HTML page: the three arms side by side, with their curves, calibration and attribution.

Colours follow report.colours: returns red up, green down; verdicts (confirm blue, veto purple) neither red
nor green; the arms' curves neutral. Every chart has a fixed div id, so the same evaluation writes the
same page byte for byte.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from alphamoe.evaluate.model import ArmReport, Attribution, Cost, Evaluation
from alphamoe.report.colours import CONFIRM, VETO, signed

ARM_COLOURS = {"quant": "#555555", "symbolic": "#1f4e99", "llm": "#c08a00"}
"""Neutral line colours per arm: a curve is neither up nor down."""
BENCH = "#999999"
FACTORS = ("market", "size", "momentum")
EXPERT_COLOURS = (CONFIRM, VETO, "#c08a00", "#4d4d4d", "#17becf", "#8c564b")
"""Experts' bars: never red or green (those mean up and down)."""


def _pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    colour = signed(value)
    text = f"{value:.2%}"
    return f'<span style="color:{colour}">{text}</span>' if colour else text


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


Cell = Callable[[ArmReport], str]


def _costed(render: Callable[[Cost], str]) -> Cell:
    # a cell only the LLM arm fills
    return lambda arm: render(arm.cost) if arm.cost is not None else "-"


def _attributed(render: Callable[[Attribution], str]) -> Cell:
    return lambda arm: render(arm.attribution) if arm.attribution is not None else "n/a"


def summary_rows(evaluation: Evaluation) -> list[tuple[str, list[str]]]:
    """Return (metric, one cell per arm) rows, as text with A-share colours for returns (HTML spans)."""
    verdicts = ("confirm", "veto", "abstain")
    cells: list[tuple[str, Cell]] = [
        ("picks: confirm / veto / abstain", lambda a: " / ".join(str(a.verdicts.get(k, 0)) for k in verdicts)),
        ("total return", lambda a: _pct(a.total_return)),
        ("excess return", lambda a: _pct(a.excess_return)),
        ("Sharpe", lambda a: _num(a.sharpe)),
        ("max drawdown", lambda a: _pct(-abs(a.max_drawdown))),
        ("fills", lambda a: str(a.fills)),
    ]
    horizons = [p.horizon for p in evaluation.arms[0].passed_over] if evaluation.arms else []
    for i, horizon in enumerate(horizons):
        cells.append((f"passed-over hit rate at {horizon}d (n)", _passed_at(i)))
    cells += [
        ("LLM-added vetoes: hit rate at 5d (n)", _added),
        ("alpha (annual) after style", _attributed(lambda t: _pct(t.alpha_annual))),
        ("β market / size / momentum", _attributed(lambda t: " / ".join(_num(t.betas.get(k)) for k in FACTORS))),
        ("R² of style", _attributed(lambda t: _num(t.r_squared))),
        (
            "LLM calls / refused / candidates missing",
            _costed(lambda c: f"{c.calls} / {c.refused} / {c.missing_candidates}"),
        ),
        ("tokens, CNY per candidate", _costed(lambda c: f"{c.tokens_per_candidate:,.0f}, {c.cny_per_candidate}")),
        ("tokens, CNY per session", _costed(lambda c: f"{c.tokens_per_session:,.0f}, {c.cny_per_session}")),
        ("latency ms mean / p95", _costed(lambda c: f"{_num(c.latency_ms_mean, 0)} / {_num(c.latency_ms_p95, 0)}")),
    ]
    return [(name, [cell(a) for a in evaluation.arms]) for name, cell in cells]


def _passed_at(i: int) -> Cell:
    def cell(arm: ArmReport) -> str:
        p = arm.passed_over[i]
        return "-" if p.hit_rate is None else f"{p.hit_rate:.1%} ({p.n})"

    return cell


def _added(arm: ArmReport) -> str:
    five = [p for p in arm.added_vetoes if p.horizon == 5]
    if not five:
        return "-"
    return "none (0)" if five[0].hit_rate is None else f"{five[0].hit_rate:.1%} ({five[0].n})"


def expert_rows(evaluation: Evaluation) -> list[list[str]]:
    """Return one row per expert of the llm arm: n, hit rate, vetoes, veto hit rate, Brier."""
    return [
        [x.expert, str(x.n), f"{x.hit_rate:.1%}", str(x.vetoes),
         "n/a" if x.veto_hit_rate is None else f"{x.veto_hit_rate:.1%}", f"{x.brier:.3f}"]
        for x in evaluation.experts
    ]  # fmt: skip


EXPERT_HEADERS = ("expert", "n", "hit rate", "vetoes", "veto hit rate", "Brier")


def write_html(evaluation: Evaluation, path: Path) -> Path:
    """Write the report page to `path` and return it."""
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    e = evaluation
    days = [d.isoformat() for d in e.days]
    curves = go.Figure()
    for arm in e.arms:
        start = arm.equity[0] if arm.equity else 1.0
        curves.add_trace(
            go.Scatter(x=days, y=[v / start for v in arm.equity], name=arm.name, line={"color": ARM_COLOURS[arm.name]})
        )
    if e.benchmark_curve:
        base, after = e.benchmark_curve[0], e.benchmark_curve[1 : len(days) + 1]
        line = {"color": BENCH, "dash": "dot"}
        curves.add_trace(go.Scatter(x=days, y=[v / base for v in after], name=e.benchmark or "benchmark", line=line))
    curves.update_layout(title="growth of 1 (each arm, from its first close)", height=380)
    calib = go.Figure()
    calib.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="perfect", line={"color": BENCH, "dash": "dot"}))
    for arm in e.arms:
        if arm.calibration:
            calib.add_trace(
                go.Scatter(
                    x=[b.mean_confidence for b in arm.calibration],
                    y=[b.hit_rate for b in arm.calibration],
                    text=[f"n={b.n}" for b in arm.calibration],
                    mode="lines+markers",
                    name=arm.name,
                    line={"color": ARM_COLOURS[arm.name]},
                )
            )
    calib.update_layout(title="calibration: confidence vs hit rate at 5 sessions", height=360,
                        xaxis_title="confidence", yaxis_title="hit rate")  # fmt: skip
    track = go.Figure()
    experts = sorted({t.expert for t in e.track_records})
    for n, expert in enumerate(experts):
        mine = [t for t in e.track_records if t.expert == expert]
        track.add_trace(
            go.Bar(
                x=[f"{t.board}/{t.regime}" for t in mine],
                y=[t.hit_rate for t in mine],
                text=[f"n={t.n}" for t in mine],
                name=expert,
                marker={"color": EXPERT_COLOURS[n % len(EXPERT_COLOURS)]},
            )
        )
    track.update_layout(title="track records: hit rate at 5 sessions by board/regime", barmode="group", height=380)
    head = "".join(f"<th>{html.escape(a.name)}</th>" for a in e.arms)
    body = "".join(
        f"<tr><th>{html.escape(name)}</th>{''.join(f'<td>{cell}</td>' for cell in cells)}</tr>"
        for name, cells in summary_rows(e)
    )
    records = "".join(
        f"<tr><td>{html.escape(t.expert)}</td><td>{t.board}</td><td>{t.regime}</td><td>{t.n}</td>"
        f"<td>{t.hit_rate:.1%}</td><td>{t.mean_confidence:.2f}</td><td>{t.brier:.3f}</td></tr>"
        for t in e.track_records
    )
    expert_table = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in expert_rows(e)
    )
    mode = "anonymised (names, codes and dates hidden from the model)" if e.anonymised else "named"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>alphamoe evaluate {e.start} … {e.end}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}th{{background:#f4f4f4}}
.confirm{{color:{CONFIRM}}}.veto{{color:{VETO}}}</style></head><body>
<h1>Do the LLM experts add alpha? {e.strategy} · {e.start} … {e.end}</h1>
<p>{e.sessions} sessions · {e.candidates} candidates · record {html.escape(e.record)} · {mode}
{"· live (model asked for missing decisions)" if e.live else "· replayed from the record"}</p>
<table><tr><th>metric</th>{head}</tr>{body}</table>
<p>Passed over: picks an arm did not confirm (no order); a hit is a pick that did not rise. Returns red up, green
down; verdicts <span class="confirm">confirm</span>/<span class="veto">veto</span>.</p>
{curves.to_html(full_html=False, include_plotlyjs=True, div_id="curves")}
{calib.to_html(full_html=False, include_plotlyjs=False, div_id="calibration")}
{track.to_html(full_html=False, include_plotlyjs=False, div_id="track")}
<h2>Experts of the llm arm over the span (5 sessions)</h2>
<table><tr>{"".join(f"<th>{h}</th>" for h in EXPERT_HEADERS)}</tr>{expert_table}</table>
<h2>Track records (point in time, 5 sessions)</h2>
<table><tr><th>expert</th><th>board</th><th>regime</th><th>n</th><th>hit rate</th><th>confidence</th><th>Brier</th></tr>
{records}</table></body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
