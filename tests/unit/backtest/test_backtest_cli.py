"""`alphamoe backtest`: bad input gets one clear line listing what is valid (exit 2); real data gets a report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.image
import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["backtest", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--strategy", "moonshot"], ["unknown strategy 'moonshot'", "trend_breakout"]),
        (["--params", '{"breakout_window": "wide"}'], ["breakout_window", "Valid parameters", "fast_ma"]),
        (["--params", '{"no_such": 1}'], ["no_such", "Valid parameters"]),
        (["--engine", "zipline"], ["unknown engine 'zipline'", "vectorbt, reference, backtrader"]),
        (["--route", "llm"], ["unknown route 'llm'", "valid routes: none, symbolic"]),
        (["--universe", "600000.SH,999999.SH"], ["999999.SH", "e.g."]),
        (["--universe", "ABC"], ["'ABC' is not an A-share code"]),
    ],
)
def test_backtest_cli_when_input_is_bad_then_exit_2_with_valid_choices(
    market_dir: Path, args: list[str], expected: list[str]
) -> None:
    code, output = _run("--start", "2024-09-02", "--end", "2024-09-30", "--data", str(market_dir), *args)
    assert code == 2, output
    flat = " ".join(output.split())
    for text in expected:
        assert text in flat, flat
    assert "Traceback" not in output


def test_backtest_cli_when_range_has_no_sessions_then_message_names_coverage(market_dir: Path) -> None:
    code, output = _run("--start", "2030-01-01", "--end", "2030-02-01", "--data", str(market_dir))
    flat = " ".join(output.split())
    assert code == 2 and "no sessions between 2030-01-01 and 2030-02-01" in flat and "2024-01-02" in flat, flat


@pytest.mark.realdata
def test_backtest_cli_when_real_data_then_report_html_png_and_json(real_backtest_store: Path, tmp_path: Path) -> None:
    index = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ashare" / "index"
    extra = ["--index", str(index)] if index.is_dir() else []
    code, output = _run(
        "--start", "2019-01-01", "--end", "2021-12-31", "--data", str(real_backtest_store),
        "--report", str(tmp_path / "report"), "--json", str(tmp_path / "bt.json"), "--no-progress", *extra,
    )  # fmt: skip
    assert code == 0, output
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert len(html) > 1_000_000 and "plotly" in html and "Monthly returns" in html
    assert '<td class="up">BUY</td>' in html and 'id="round-trips"' in html
    assert re.search(r"<script[^>]*\bsrc=", html) is None  # plotly.js is inline: the page opens offline
    image = matplotlib.image.imread(tmp_path / "report" / "equity.png")
    assert image.shape[0] >= 300 and image.shape[1] >= 600 and image.std() > 0.01
    document = json.loads((tmp_path / "bt.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8")) == document  # History's
    assert {"cagr", "sharpe", "max_drawdown", "turnover", "win_rate", "exposure"} <= set(document["metrics"])
    assert document["trades"] and set(document["trades"][0]) >= {"symbol", "side", "day", "quantity", "price", "fees"}
    analysis = document["analysis"]
    assert [y["year"] for y in analysis["yearly"]] == [2019, 2020, 2021] and analysis["round_trips"]
    assert analysis["symbols"] and analysis["versus"]["benchmark"] == ("sh000300" if extra else "universe average")
    assert "yearly returns" in output and "excess return" in output


def test_backtest_cli_when_orders_unfilled_then_the_summary_lists_them_and_counts_the_rest(
    market_dir: Path, tmp_path: Path
) -> None:
    code, output = _run(
        "--start", "2024-06-03", "--end", "2025-03-31", "--data", str(market_dir), "--no-progress",
        "--json", str(tmp_path / "bt.json"),
    )  # fmt: skip
    assert code == 0, output
    misses = json.loads((tmp_path / "bt.json").read_text(encoding="utf-8"))["unfilled_orders"]
    assert len(misses) > 20, "too few unfilled orders to show the cap"
    assert f"unfilled orders ({len(misses)})" in output
    lines = [line for line in output.splitlines() if re.search(r"\b\d{6}\.(SH|SZ|BJ)\b", line)]
    listed = [(m["day"], m["symbol"], m["side"], f"{m['quantity']:,}", m["limit_price"], m["reason"]) for m in misses]
    for day, symbol, side, quantity, limit, reason in listed[:20]:
        assert any(all(x in line for x in (day, symbol, side, quantity, limit, reason)) for line in lines), output
    assert f"… {len(misses) - 20:,} more (in the JSON" in " ".join(output.split())  # report.terminal.more_line
