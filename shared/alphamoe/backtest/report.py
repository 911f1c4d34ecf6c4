"""The backtest report: an offline HTML page (plotly, its JS inline) and a PNG of the equity curve.

The page shows equity against the benchmark (both from 1.0), the drawdown, monthly returns and every fill
(up to `MAX_TRADE_ROWS`; the JSON keeps all); the PNG is the equity curve for terminals and chat.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.backtest.result import BacktestResult
from alphamoe.storage.local import write_atomically

MAX_TRADE_ROWS = 5000
TRADE_COLUMNS = ("day", "symbol", "side", "quantity", "price", "fees", "why")


def equity_frame(result: BacktestResult) -> pd.Series:
    return pd.Series([p.equity for p in result.equity], index=_days(result))


def _days(result: BacktestResult) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(p.day) for p in result.equity])


def monthly_returns(equity: pd.Series, initial: float) -> pd.DataFrame:
    """Return a year × month table of returns (fractions), each month vs the previous month's last equity."""
    days = pd.DatetimeIndex(equity.index)
    month_end = equity.groupby([days.year, days.month]).last()
    previous = month_end.shift(1).fillna(initial)
    table = (month_end / previous - 1.0).unstack()
    table.index.name, table.columns.name = "year", "month"
    return table.reindex(columns=range(1, 13))


def _normalised(benchmark: pd.Series | None, index: pd.DatetimeIndex) -> pd.Series | None:
    if benchmark is None or benchmark.empty:
        return None
    aligned = benchmark.reindex(index.union(pd.DatetimeIndex(benchmark.index))).ffill().reindex(index).bfill()
    out: pd.Series = aligned / float(aligned.iloc[0])
    out.name = benchmark.name
    return out


def write_html(result: BacktestResult, path: Path, benchmark: pd.Series | None = None) -> Path:
    """Write the report page; plotly.js is embedded once, so the file opens without a network."""
    import plotly.graph_objects as go  # type: ignore[import-untyped]
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    equity = equity_frame(result)
    initial = float(result.initial_cash)
    curve = equity / initial
    bench = _normalised(benchmark, _days(result))
    peaks = np.maximum.accumulate(np.maximum(equity.to_numpy(), initial))
    drawdown = pd.Series(equity.to_numpy() / peaks - 1.0, index=_days(result))
    bench_name = str(benchmark.name) if benchmark is not None and bench is not None else "none"
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], subplot_titles=("Equity (start = 1)", "Drawdown")
    )
    fig.add_trace(go.Scatter(x=curve.index, y=curve.to_numpy(), name=f"{result.strategy} ({result.engine})"), 1, 1)
    if bench is not None:
        fig.add_trace(go.Scatter(x=bench.index, y=bench.to_numpy(), name=bench_name), 1, 1)
    fig.add_trace(
        go.Scatter(x=drawdown.index, y=drawdown.to_numpy(), name="drawdown", fill="tozeroy", line={"color": "#c0392b"}),
        2,
        1,
    )
    fig.update_layout(height=620, margin={"t": 40, "l": 40, "r": 20, "b": 30}, yaxis2={"tickformat": ".0%"})
    months = monthly_returns(equity, initial)
    heat = go.Figure(
        go.Heatmap(
            z=months.to_numpy() * 100,
            x=[f"{m:02d}" for m in months.columns],
            y=[str(y) for y in months.index],
            colorscale="RdYlGn",
            zmid=0,
            text=[[("" if np.isnan(v) else f"{v:.1f}%") for v in row] for row in months.to_numpy() * 100],
            texttemplate="%{text}",
            colorbar={"title": "%"},
        )
    )
    heat.update_layout(title="Monthly returns", height=120 + 28 * len(months), margin={"t": 40, "l": 40, "r": 20})
    m = result.metrics
    summary = {
        "CAGR": f"{m.cagr:.2%}",
        "Sharpe": f"{m.sharpe:.2f}",
        "Max drawdown": f"{m.max_drawdown:.2%}",
        "Turnover (annual)": f"{m.turnover:.2f}×",
        "Win rate": "n/a" if m.win_rate is None else f"{m.win_rate:.1%} of {m.round_trips}",
        "Exposure": f"{m.exposure:.1%}",
        "Picks by router verdict": f"{', '.join(f'{k} {v}' for k, v in result.verdicts.items())} ({result.route})",
        "Fills": str(m.fills),
        "Fees": f"{m.fees:,.2f} CNY",
        "Final equity": f"{result.final_equity:,.2f} CNY",
    }
    rows = "".join(
        f"<tr><td>{t.day}</td><td>{html.escape(t.symbol)}</td><td>{t.side.value}</td><td>{t.quantity}</td>"
        f'<td>{t.price}</td><td>{t.fees}</td><td class="why">{html.escape(t.why)}</td></tr>'
        for t in result.trades[:MAX_TRADE_ROWS]
    )
    more = len(result.trades) - MAX_TRADE_ROWS
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>alphamoe backtest · {html.escape(result.strategy)} · {result.start} … {result.end}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}th{{background:#f4f4f4}}
td.why{{text-align:left;font-size:12px}}.trades{{max-height:480px;overflow:auto;display:inline-block}}</style></head><body>
<h1>Backtest: {html.escape(result.strategy)} ({result.engine})</h1>
<p>{result.start} … {result.end} · {result.sessions} sessions · {result.universe} stocks ·
initial cash {result.initial_cash} CNY · benchmark: {html.escape(bench_name)}</p>
<table>{"".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in summary.items())}</table>
{fig.to_html(full_html=False, include_plotlyjs=True)}
{heat.to_html(full_html=False, include_plotlyjs=False)}
<h2>Trades ({len(result.trades)})</h2>
<div class="trades"><table><tr>{"".join(f"<th>{c}</th>" for c in TRADE_COLUMNS)}</tr>
{rows}</table></div>{f"<p>… {more} more fills in the JSON</p>" if more > 0 else ""}
<p>{"<br>".join(html.escape(n) for n in result.notes)}</p>
</body></html>"""
    return write_atomically(path, page.encode("utf-8"))


def write_png(result: BacktestResult, path: Path, benchmark: pd.Series | None = None) -> Path:
    """Write the equity curve (and the benchmark) as a PNG with matplotlib's Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    equity = equity_frame(result)
    curve = equity / float(result.initial_cash)
    bench = _normalised(benchmark, _days(result))
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    ax.plot(curve.index, curve.to_numpy(), label=f"{result.strategy} ({result.engine})", linewidth=1.4)
    if bench is not None:
        ax.plot(bench.index, bench.to_numpy(), label=str(bench.name), linewidth=1.0, alpha=0.8)
    ax.set_title(f"{result.strategy}: {result.start} … {result.end}, CAGR {result.metrics.cagr:.1%}")
    ax.set_ylabel("equity (start = 1)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
