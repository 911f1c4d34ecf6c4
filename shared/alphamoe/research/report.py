"""The research report pages: a search (importance, the objective's surface, the best equity curves) and a
walk-forward (the stitched out-of-sample curve, the windows, the trials behind it and its deflated Sharpe).

Plotly, inline (the page opens offline); A-share colours: red for up (a high objective), green for down.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]

from alphamoe.backtest.report import DOWN, HEAT_SCALE, LINE, UP
from alphamoe.research.deflated import DeflatedSharpe
from alphamoe.research.objective import Objective
from alphamoe.research.study import TrialRecord, ranked
from alphamoe.research.trial import TrialOutcome
from alphamoe.research.walkforward import WalkForward

_STYLE = (
    "body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;font-size:13px}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}"
    ".up{color:" + UP + "}.down{color:" + DOWN + "}"
)


def _pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    css = "up" if value > 0 else "down" if value < 0 else ""
    return f'<span class="{css}">{value:.2%}</span>'


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _dsr(d: DeflatedSharpe) -> str:
    return (
        f"<p>Deflated Sharpe ratio (Bailey &amp; López de Prado 2014) over <b>{d.trials}</b> trials: "
        f"<b>{d.probability:.3f}</b> — the probability that the selection's true Sharpe exceeds the best of "
        f"{d.trials} unskilled trials (per session: Sharpe {d.sharpe:.4f}, expected best {d.expected_max_sharpe:.4f}, "
        f"trial Sharpe variance {d.trial_sharpe_variance:.3g}, skewness {d.skewness:.2f}, kurtosis {d.kurtosis:.2f}, "
        f"{d.observations} sessions).</p>"
    )


def trial_rows(recs: Sequence[TrialRecord], objective: Objective, names: Sequence[str], top: int) -> list[list[str]]:
    rows = []
    for r in ranked(recs)[:top]:
        f = r.figures
        rows.append(
            [
                str(r.number),
                *(html.escape(str(r.params.get(n))) for n in names),
                _num(r.value),
                _num(f.get("sharpe")),
                _pct(f.get("cagr")),
                _pct(-(f.get("max_drawdown") or 0.0)),
                str(f.get("round_trips")),
                html.escape("; ".join(r.violations)) or "ok",
            ]
        )
    return rows


def surface(recs: Sequence[TrialRecord], x: str, y: str, metric: str) -> go.Figure:
    """The objective over two parameters: a contour of the finished trials, each trial a marker."""
    done = [r for r in recs if r.value is not None]
    xs, ys, zs = [r.params[x] for r in done], [r.params[y] for r in done], [r.value for r in done]
    fig = go.Figure()
    if len(set(zip(xs, ys, strict=True))) >= 3:
        fig.add_trace(go.Contour(x=xs, y=ys, z=zs, colorscale=HEAT_SCALE, opacity=0.6, name=metric))
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="markers", marker={"color": zs, "colorscale": HEAT_SCALE, "line": {"width": 1}},
            text=[f"trial {r.number}: {metric} {r.value:.3f}" for r in done], name="trials",
        )
    )  # fmt: skip
    fig.update_layout(title=f"{metric} over {x} × {y}", xaxis_title=x, yaxis_title=y, height=480)
    return fig


def equity_figure(curves: Sequence[tuple[str, Sequence[Any], Sequence[float]]], title: str) -> go.Figure:
    fig = go.Figure()
    for k, (label, days, values) in enumerate(curves):
        fig.add_trace(go.Scatter(x=list(days), y=list(values), name=label, line={"color": LINE if k == 0 else None}))
    fig.update_layout(title=title, yaxis_title="equity, CNY", height=420)
    return fig


def write_search_report(
    path: Path,
    title: str,
    recs: Sequence[TrialRecord],
    objective: Objective,
    importances: dict[str, float],
    best_runs: Sequence[tuple[TrialRecord, TrialOutcome]],
    deflated: DeflatedSharpe | None,
    top: int = 30,
) -> Path:
    """Write the search's page: importance, the objective's surface over the two most important, best equity."""
    names = list(importances) or sorted({k for r in recs for k in r.params})
    figures = []
    if importances:
        bar = go.Figure(go.Bar(x=list(importances.values()), y=list(importances), orientation="h", marker_color=LINE))
        bar.update_layout(title="parameter importance (fANOVA)", height=300, yaxis={"autorange": "reversed"})
        figures.append(bar)
    searched = [n for n in names if len({r.params.get(n) for r in recs}) > 1]
    if len(searched) >= 2:
        figures.append(surface(recs, searched[0], searched[1], objective.metric))
    if best_runs:
        curves = [(f"trial {r.number}", list(o.days), list(o.values[1:])) for r, o in best_runs]
        figures.append(equity_figure(curves, f"equity of the best {len(best_runs)} (in-sample: selected on it)"))
    plots = "".join(f.to_html(full_html=False, include_plotlyjs=k == 0) for k, f in enumerate(figures))
    head = ["trial", *names, objective.metric, "Sharpe", "CAGR", "max DD", "round trips", "constraints"]
    feasible = sum(r.feasible for r in recs)
    body = (
        f"<h1>{html.escape(title)}</h1><p>{len(recs)} trials, {feasible} meet the objective "
        f"({html.escape(objective.describe())}). Every curve here is in-sample: chosen on the data it shows.</p>"
        + (_dsr(deflated) if deflated is not None else "")
        + plots
        + "<h2>Trials, best first</h2>"
        + _table(head, trial_rows(recs, objective, names, top))
    )
    return _write(path, title, body)


def write_walkforward_report(path: Path, title: str, wf: WalkForward, objective: Objective) -> Path:
    """Write the walk-forward page: the stitched out-of-sample curve (the result), windows, trials and DSR."""
    curve = equity_figure([("out-of-sample, stitched", wf.days, wf.values[1:])], "the result: out-of-sample only")
    rows = [
        [
            str(w.window.index),
            f"{w.in_sample_days[0]} … {w.in_sample_days[1]}",
            f"{w.out_of_sample.days[0]} … {w.out_of_sample.days[-1]}",
            html.escape(", ".join(f"{k}={v}" for k, v in w.chosen.params.items())),
            _num(w.chosen.value),
            str(w.trials),
            _pct(w.out_of_sample.values[-1] / w.out_of_sample.values[0] - 1.0),
            _num(w.out_of_sample.figures.get("sharpe")),
        ]
        for w in wf.windows
    ]
    f = wf.figures
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f"<p>The result is the out-of-sample curve alone: total return {_pct(f['total_return'])}, CAGR "
        f"{_pct(f['cagr'])}, Sharpe {f['sharpe']:.2f}, max drawdown {f['max_drawdown']:.2%}, over {len(wf.windows)} "
        f"windows and <b>{wf.trials}</b> in-sample trials ({html.escape(objective.describe())}).</p>"
        + _dsr(wf.deflated)
        + curve.to_html(full_html=False, include_plotlyjs=True)
        + "<h2>Windows</h2>"
        + _table(
            [
                "window",
                "in-sample",
                "out-of-sample",
                "chosen",
                f"in-sample {objective.metric}",
                "trials",
                "out-of-sample return",
                "out-of-sample Sharpe",
            ],
            rows,
        )
    )
    return _write(path, title, body)


def _write(path: Path, title: str, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title><style>{_STYLE}</style>'
    page = f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
    path.write_text(page, encoding="utf-8")
    return path
