"""The backtest report: an offline HTML page (plotly, its JS inline) and a PNG of the equity curve.

The page shows the headline metrics (against the benchmark too), equity against the benchmark (both from 1.0
at the close before the first session), the drawdown, yearly and monthly returns, the round trips, a table by
stock, the unfilled orders by reason and one by one (up to `MAX_UNFILLED_ROWS`), and every fill (tables up to
`MAX_TABLE_ROWS` rows; the JSON keeps all);
the PNG is the equity curve for terminals and chat.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.backtest.analysis import UNFILLED_MEANINGS, analyse, benchmark_closes
from alphamoe.backtest.result import Analysis, BacktestResult
from alphamoe.report.colours import DOWN as DOWN  # research.report draws in the same colours
from alphamoe.report.colours import FLAT
from alphamoe.report.colours import UP as UP
from alphamoe.storage.local import write_atomically
from alphamoe.types import Side

MAX_TRADE_ROWS = 5000
MAX_TABLE_ROWS = 5000
MAX_UNFILLED_ROWS = 500
TRADE_COLUMNS = ("day", "symbol", "side", "quantity", "price", "fees", "why")
HEAT_SCALE = [[0.0, DOWN], [0.5, FLAT], [1.0, UP]]
"""The monthly heat map in the A-share colours of every page (`report.colours`): red up, green down."""
LINE, BENCH_LINE = "#1f4e99", "#888888"  # neutral: a curve is neither up nor down


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


def _benchmark_curve(result: BacktestResult, benchmark: pd.Series | None) -> pd.Series | None:
    # the benchmark from 1.0 at its close before the first session, as the account's curve starts at its cash
    if benchmark is None or benchmark.dropna().empty or not result.equity:
        return None
    closes = benchmark_closes(benchmark, [p.day for p in result.equity])
    return pd.Series(closes[1:] / closes[0], index=_days(result), name=benchmark.name)


def _signed(value: float | Decimal | None, text: str) -> str:
    # a table cell in the A-share colours: red up, green down
    tone = "" if value is None or value == 0 else ' class="up"' if value > 0 else ' class="down"'
    return f"<td{tone}>{text}</td>"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _cny(value: float | Decimal | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _table(header: Sequence[str], rows: Sequence[str], cap: int = MAX_TABLE_ROWS) -> str:
    more = len(rows) - cap
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join(f"<tr>{r}</tr>" for r in rows[:cap])
    tail = f"<p>… {more} more rows in the JSON</p>" if more > 0 else ""
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>{tail}'


def summary_rows(result: BacktestResult, analysis: Analysis) -> list[tuple[str, str, float | None]]:
    """Return the headline figures as (name, text, signed value for the colour or None)."""
    m, v = result.metrics, analysis.versus
    rows: list[tuple[str, str, float | None]] = [
        ("Total return", _pct(m.total_return), m.total_return),
        ("CAGR", _pct(m.cagr), m.cagr),
    ]
    if v is not None:
        rows += [
            (f"Benchmark return ({v.benchmark})", _pct(v.benchmark_return), v.benchmark_return),
            ("Excess return", _pct(v.excess_return), v.excess_return),
            ("Excess CAGR", _pct(v.excess_cagr), v.excess_cagr),
            ("Alpha (annual)", _pct(v.alpha), v.alpha),
            ("Beta", _ratio(v.beta), None),
            ("Information ratio", _ratio(v.information_ratio), v.information_ratio),
            ("Tracking error", _pct(v.tracking_error), None),
        ]
    rows += [
        ("Sharpe", _ratio(m.sharpe), m.sharpe),
        ("Sortino", _ratio(m.sortino), m.sortino),
        ("Max drawdown", _pct(m.max_drawdown), -m.max_drawdown),
        ("Calmar", _ratio(m.calmar), m.calmar),
        ("Round trips (closed)", str(m.round_trips), None),
        ("Win rate", _pct(m.win_rate), None),
        ("Profit factor", _ratio(m.profit_factor), None),
        ("Average win", _cny(m.avg_win), m.avg_win),
        ("Average loss", _cny(m.avg_loss), m.avg_loss),
        ("Turnover (annual)", f"{m.turnover:.2f}×", None),
        ("Exposure", f"{m.exposure:.1%}", None),
        (
            "Picks by router verdict",
            f"{', '.join(f'{k} {n}' for k, n in result.verdicts.items())} ({result.route})",
            None,
        ),
        ("Fills", str(m.fills), None),
        ("Fees", f"{m.fees:,.2f} CNY", None),
        ("Final equity", f"{result.final_equity:,.2f} CNY", None),
    ]
    return rows


def write_html(result: BacktestResult, path: Path, benchmark: pd.Series | None = None) -> Path:
    """Write the report page; plotly.js is embedded once, so the file opens without a network.

    Colours follow the A-share convention everywhere on the page: red is up (a gain), green is down (a loss).
    """
    import plotly.graph_objects as go  # type: ignore[import-untyped]
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    analysis = result.analysis or analyse(result, benchmark)
    equity = equity_frame(result)
    initial = float(result.initial_cash)
    curve = equity / initial
    bench = _benchmark_curve(result, benchmark)
    peaks = np.maximum.accumulate(np.maximum(equity.to_numpy(), initial))
    drawdown = pd.Series(equity.to_numpy() / peaks - 1.0, index=_days(result))
    bench_name = str(benchmark.name) if benchmark is not None and bench is not None else "none"
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], subplot_titles=("Equity (start = 1)", "Drawdown")
    )
    fig.add_trace(
        go.Scatter(
            x=curve.index, y=curve.to_numpy(), name=f"{result.strategy} ({result.engine})", line={"color": LINE}
        ),
        1,
        1,
    )
    if bench is not None:
        fig.add_trace(go.Scatter(x=bench.index, y=bench.to_numpy(), name=bench_name, line={"color": BENCH_LINE}), 1, 1)
    fig.add_trace(
        go.Scatter(x=drawdown.index, y=drawdown.to_numpy(), name="drawdown", fill="tozeroy", line={"color": DOWN}),
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
            colorscale=HEAT_SCALE,
            zmid=0,
            text=[[("" if np.isnan(v) else f"{v:.1f}%") for v in row] for row in months.to_numpy() * 100],
            texttemplate="%{text}",
            colorbar={"title": "% (red up)"},
        )
    )
    heat.update_layout(
        title="Monthly returns (red up, green down)", height=120 + 28 * len(months), margin={"t": 40, "l": 40, "r": 20}
    )
    summary = "".join(
        f"<tr><th>{html.escape(name)}</th>{_signed(value, html.escape(text))}</tr>"
        for name, text, value in summary_rows(result, analysis)
    )
    yearly = _table(
        ("year", result.strategy, bench_name, "excess"),
        [
            f"<td>{y.year}</td>{_signed(y.strategy, _pct(y.strategy))}{_signed(y.benchmark, _pct(y.benchmark))}"
            f"{_signed(y.excess, _pct(y.excess))}"
            for y in analysis.yearly
        ],
    )
    trips = analysis.round_trips
    trip_rows = _table(
        ("symbol", "status", "quantity", "entry day", "entry price", "exit day", "exit price", "days", "sessions",
         "fees", "P&L"),
        [
            f"<td>{html.escape(t.symbol)}</td><td>{t.status}</td><td>{t.quantity}</td><td>{t.entry_day}</td>"
            f"<td>{t.entry_price}</td><td>{t.exit_day or '–'}</td><td>{t.exit_price or '–'}</td>"
            f"<td>{t.holding_days}</td><td>{t.holding_sessions}</td><td>{t.fees}</td>{_signed(t.pnl, _cny(t.pnl))}"
            for t in trips
        ],
    )  # fmt: skip
    symbol_rows = _table(
        ("symbol", "round trips", "wins", "win rate", "P&L", "open shares"),
        [
            f"<td>{html.escape(s.symbol)}</td><td>{s.round_trips}</td><td>{s.wins}</td><td>{_pct(s.win_rate)}</td>"
            f"{_signed(s.pnl, _cny(s.pnl))}<td>{s.open_quantity}</td>"
            for s in sorted(analysis.symbols, key=lambda s: s.pnl, reverse=True)
        ],
    )
    unfilled = _table(
        ("reason", "orders", "meaning"),
        [
            f'<td>{html.escape(k)}</td><td>{n}</td><td class="why">{html.escape(UNFILLED_MEANINGS.get(k, ""))}</td>'
            for k, n in result.unfilled.items()
        ],
    )
    misses = _table(
        ("day", "symbol", "side", "quantity", "filled", "short", "limit", "reason"),
        [
            f"<td>{m.day}</td><td>{html.escape(m.symbol)}</td>"
            f'<td class="{"up" if m.side is Side.BUY else "down"}">{m.side.value}</td><td>{m.quantity}</td>'
            f"<td>{m.filled}</td><td>{m.quantity - m.filled}</td><td>{m.limit_price}</td>"
            f'<td class="why">{html.escape(m.reason)}</td>'
            for m in result.unfilled_orders
        ],
        MAX_UNFILLED_ROWS,
    )
    fills = _table(
        TRADE_COLUMNS,
        [
            f"<td>{t.day}</td><td>{html.escape(t.symbol)}</td>"
            f'<td class="{"up" if t.side is Side.BUY else "down"}">{t.side.value}</td><td>{t.quantity}</td>'
            f'<td>{t.price}</td><td>{t.fees}</td><td class="why">{html.escape(t.why)}</td>'
            for t in result.trades
        ],
        MAX_TRADE_ROWS,
    )
    open_trips = sum(t.status == "open" for t in trips)
    unmatched = (
        f"<p>{analysis.unmatched_sells} shares were sold beyond the bought lots and are in no round trip.</p>"
        if analysis.unmatched_sells
        else ""
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>alphamoe backtest · {html.escape(result.strategy)} · {result.start} … {result.end}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}th{{background:#f4f4f4}}
td.why{{text-align:left;font-size:12px}}.scroll{{max-height:480px;overflow:auto;display:inline-block}}
.up{{color:{UP}}}.down{{color:{DOWN}}}.legend{{font-size:13px;color:#555}}</style></head><body>
<h1>Backtest: {html.escape(result.strategy)} ({result.engine})</h1>
<p>{result.start} … {result.end} · {result.sessions} sessions · {result.universe} stocks ·
initial cash {result.initial_cash} CNY · benchmark: {html.escape(bench_name)}</p>
<p class="legend">Colours follow the A-share convention: <span class="up">red = up, a gain</span>,
<span class="down">green = down, a loss</span> (not approve/veto). Formulas: <code>alphamoe.backtest.metrics</code>.</p>
<h2 id="summary">Summary</h2>
<table>{summary}</table>
{fig.to_html(full_html=False, include_plotlyjs=True)}
<h2 id="yearly">Yearly returns</h2>
{yearly}
{heat.to_html(full_html=False, include_plotlyjs=False)}
<h2 id="round-trips">Round trips ({len(trips) - open_trips} closed, {open_trips} open)</h2>
<p class="legend">Each sell matched first-in first-out against the stock's buy fills; fees pro rata by quantity.</p>
{trip_rows}{unmatched}
<h2 id="symbols">By stock ({len(analysis.symbols)})</h2>
{symbol_rows}
<h2 id="unfilled">Unfilled orders ({sum(result.unfilled.values())})</h2>
<p class="legend">Approved orders the market did not fill, by reason.</p>
{unfilled}
<h2 id="unfilled-orders">Orders not filled in full ({len(result.unfilled_orders)})</h2>
<p class="legend">Partial fills too (filled &gt; 0: short by the volume cap).
<span class="up">BUY</span> red, <span class="down">SELL</span> green.</p>
{misses}
<h2 id="fills">Fills ({len(result.trades)})</h2>
<p class="legend"><span class="up">BUY</span> red, <span class="down">SELL</span> green.</p>
{fills}
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
    bench = _benchmark_curve(result, benchmark)
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
