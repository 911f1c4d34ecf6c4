"""The report's pieces: monthly returns, the benchmark curves, an offline page with every section, and a PNG.

No headless browser here: the page is rendered to a file and read back with the standard HTML parser and the
JSON of its plotly figures.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from alphamoe.backtest.benchmark import index_curve
from alphamoe.backtest.metrics import compute_metrics
from alphamoe.backtest.report import MAX_UNFILLED_ROWS, monthly_returns, write_html, write_png
from alphamoe.backtest.result import BacktestResult, EquityPoint, TradeRecord, UnfilledOrder
from alphamoe.errors import DataError
from alphamoe.types import Side


def _result() -> BacktestResult:
    days = pd.bdate_range("2024-01-02", "2024-03-29")
    equity = [EquityPoint(day=d.date(), equity=100.0 + k, cash=50.0, exposure=0.5) for k, d in enumerate(days)]
    return BacktestResult(
        engine="alphamoe", strategy="s", params={}, start=equity[0].day, end=equity[-1].day, sessions=len(equity),
        universe=1, initial_cash=Decimal("100"), final_equity=equity[-1].equity,
        metrics=compute_metrics(equity, [], 100.0), trades=[], equity=equity,
    )  # fmt: skip


def test_monthly_returns_when_equity_steps_then_each_month_is_vs_previous_month_end() -> None:
    equity = pd.Series([110.0, 121.0, 108.9], index=pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-29"]))
    table = monthly_returns(equity, 100.0)
    assert table.loc[2024, 1] == pytest.approx(0.10)
    assert table.loc[2024, 2] == pytest.approx(0.10)
    assert table.loc[2024, 3] == pytest.approx(-0.10)
    assert table.loc[2024].isna().sum() == 9


def test_index_curve_when_csv_then_close_in_range_and_missing_file_is_named(tmp_path: Path) -> None:
    csv = tmp_path / "sh000300.csv"
    csv.write_text("date,open,close\n2024-01-02,1,10\n2024-01-03,1,11\n2024-02-01,1,12\n", encoding="utf-8")
    curve = index_curve(tmp_path, date(2024, 1, 3), date(2024, 1, 31))
    assert list(curve) == [11.0] and curve.name == "sh000300"
    with pytest.raises(DataError, match="no index file"):
        index_curve(tmp_path / "absent.csv", date(2024, 1, 1), date(2024, 2, 1))


def test_write_html_and_png_when_written_then_offline_page_and_valid_image(tmp_path: Path) -> None:
    result = _result()
    bench = pd.Series([1.0, 1.2], index=pd.to_datetime(["2024-01-02", "2024-03-29"]), name="sh000300")
    page = write_html(result, tmp_path / "r.html", bench).read_text(encoding="utf-8")
    assert "sh000300" in page and "Monthly returns" in page and "<script src" not in page
    image = matplotlib.image.imread(write_png(result, tmp_path / "e.png", bench))
    assert image.ndim == 3 and image.shape[1] == 1000


class _Page(HTMLParser):
    # the section ids, and each table row's cells as (class, text) under the section it follows
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.rows: dict[str, list[list[tuple[str, str]]]] = {}
        self._cell: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "h2" and found.get("id"):
            self.sections.append(str(found["id"]))
        elif tag == "tr" and self.sections:
            self.rows.setdefault(self.sections[-1], []).append([])
        elif tag in ("td", "th"):
            self._cell = (found.get("class") or "", [])

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.sections and self.rows.get(self.sections[-1]):
            self.rows[self.sections[-1]][-1].append((self._cell[0], "".join(self._cell[1])))
            self._cell = None


def _figures(page: str) -> list[dict[str, object]]:
    # every trace of every plotly figure on the page
    traces: list[dict[str, object]] = []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        data, _ = json.JSONDecoder().raw_decode(page, match.end())
        traces += data
    return traces


def _rgb(colour: str) -> tuple[int, int, int]:
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
    return r, g, b


def _two_year_result() -> BacktestResult:
    days = [date(2023, 12, 28), date(2023, 12, 29), date(2024, 1, 2), date(2024, 1, 3)]
    values = (100.0, 110.0, 99.0, 98.0)
    equity = [EquityPoint(day=d, equity=v, cash=50.0, exposure=0.5) for d, v in zip(days, values, strict=True)]
    trades = [
        TradeRecord(symbol="600000.SH", side=side, day=day, quantity=q, price=Decimal(p), fees=Decimal("5"),
                    order_id=f"{day}{side}")
        for side, day, q, p in [(Side.BUY, days[0], 300, "10.00"), (Side.SELL, days[1], 100, "11.00"),
                                (Side.SELL, days[2], 100, "9.00")]
    ]  # fmt: skip
    return BacktestResult(
        engine="alphamoe", strategy="s", params={}, start=days[0], end=days[-1], sessions=4, universe=1,
        initial_cash=Decimal("100"), final_equity=98.0, metrics=compute_metrics(equity, trades, 100.0),
        trades=trades, equity=equity, unfilled={"sealed_limit_up": 2, "volume_cap": 1},
    )  # fmt: skip


def test_write_html_when_rendered_then_every_section_and_round_trips_with_the_open_lot(tmp_path: Path) -> None:
    bench = pd.Series([10.0, 10.5, 11.0], index=pd.to_datetime(["2023-12-27", "2023-12-29", "2024-01-03"]))
    bench.name = "sh000300"
    page = _Page()
    page.feed(write_html(_two_year_result(), tmp_path / "r.html", bench).read_text(encoding="utf-8"))
    assert page.sections == ["summary", "yearly", "round-trips", "symbols", "unfilled", "unfilled-orders", "fills"]
    summary = {row[0][1]: row[1][1] for row in page.rows["summary"]}
    assert {"Excess return", "Alpha (annual)", "Beta", "Information ratio", "Sortino", "Calmar", "Profit factor",
            "Average win", "Average loss", "Win rate"} <= set(summary)  # fmt: skip
    assert summary["Benchmark return (sh000300)"] == "10.00%"  # 10 (12-27, the base) → 11
    assert summary["Excess return"] == "-12.00%"  # −2% − 10%
    trips = [[text for _, text in row] for row in page.rows["round-trips"][1:]]
    assert [(t[1], t[2], t[5], t[10]) for t in trips] == [
        ("closed", "100", "2023-12-29", "93.33"),  # 100 × 1 − (5/3 → 1.67 + 5)
        ("closed", "100", "2024-01-02", "-106.66"),  # 100 × −1 − (3.33/2 → 1.66 + 5)
        ("open", "100", "–", "n/a"),
    ]
    unfilled = {row[0][1]: row for row in page.rows["unfilled"][1:]}
    assert unfilled["sealed_limit_up"][1][1] == "2" and "一字涨停" in unfilled["sealed_limit_up"][2][1]
    assert unfilled["volume_cap"][1][1] == "1"


def test_write_html_when_rendered_then_up_is_red_and_down_is_green_everywhere(tmp_path: Path) -> None:
    text = write_html(_two_year_result(), tmp_path / "r.html", None).read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    up = re.search(r"\.up\{color:([^}]+)\}", text)
    down = re.search(r"\.down\{color:([^}]+)\}", text)
    assert up and down
    (r, g, _), (r2, g2, _) = _rgb(up.group(1)), _rgb(down.group(1))
    assert r > 2 * g and g2 > 2 * r2  # red up, green down
    years = {row[0][1]: row[1] for row in page.rows["yearly"][1:]}
    assert years["2023"] == ("up", "10.00%") and years["2024"] == ("down", "-10.91%")  # 98 / 110 − 1
    traces = _figures(text)
    scale = next(t["colorscale"] for t in traces if t.get("type") == "heatmap")
    assert isinstance(scale, list)
    (low_r, low_g, _), (high_r, high_g, _) = _rgb(scale[0][1]), _rgb(scale[-1][1])
    assert high_r > 2 * high_g and low_g > 2 * low_r  # the best month red, the worst green
    drawdown = next(t for t in traces if t.get("name") == "drawdown")
    line = drawdown["line"]
    assert isinstance(line, dict) and _rgb(line["color"]) == _rgb(down.group(1))  # a drawdown is a loss: green
    assert "red = up" in text and "not approve/veto" in text


def _miss(day: date, side: Side, quantity: int, filled: int, reason: str) -> UnfilledOrder:
    return UnfilledOrder(day=day, symbol="600000.SH", side=side, quantity=quantity, filled=filled,
                         limit_price=Decimal("10.20"), reason=reason)  # fmt: skip


def test_write_html_when_orders_unfilled_then_each_listed_in_a_table_and_the_json(tmp_path: Path) -> None:
    misses = [
        _miss(date(2024, 1, 2), Side.BUY, 1000, 0, "sealed_limit_up"),
        _miss(date(2024, 1, 2), Side.SELL, 500, 0, "sealed_limit_down"),
        _miss(date(2024, 1, 3), Side.BUY, 1000, 200, "volume_cap"),
        _miss(date(2024, 1, 3), Side.BUY, 300, 0, "suspended"),
    ]
    result = _two_year_result().model_copy(update={"unfilled_orders": misses})
    page = _Page()
    page.feed(write_html(result, tmp_path / "r.html", None).read_text(encoding="utf-8"))

    rows = page.rows["unfilled-orders"]
    assert [text for _, text in rows[0]] == ["day", "symbol", "side", "quantity", "filled", "short", "limit", "reason"]
    assert [[text for _, text in row] for row in rows[1:]][2] == [
        "2024-01-03", "600000.SH", "BUY", "1000", "200", "800", "10.20", "volume_cap",
    ]  # fmt: skip
    assert [row[2][0] for row in rows[1:]] == ["up", "down", "up", "up"]  # BUY red, SELL green
    assert json.loads(result.model_dump_json())["unfilled_orders"][2]["filled"] == 200


def test_write_html_when_many_orders_unfilled_then_table_capped_and_the_rest_in_the_json(tmp_path: Path) -> None:
    misses = [_miss(date(2024, 1, 2), Side.BUY, 100, 0, "sealed_limit_up")] * (MAX_UNFILLED_ROWS + 7)
    result = _two_year_result().model_copy(update={"unfilled_orders": misses})
    text = write_html(result, tmp_path / "r.html", None).read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)

    assert len(page.rows["unfilled-orders"]) == 1 + MAX_UNFILLED_ROWS
    assert "… 7 more rows in the JSON" in text
