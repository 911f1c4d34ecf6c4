"""The report's pieces: monthly returns, the benchmark curves, an offline page and a PNG."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from alphamoe.backtest.benchmark import index_curve
from alphamoe.backtest.metrics import compute_metrics
from alphamoe.backtest.report import monthly_returns, write_html, write_png
from alphamoe.backtest.result import BacktestResult, EquityPoint
from alphamoe.errors import DataError


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
