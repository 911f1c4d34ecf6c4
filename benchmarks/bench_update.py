"""Time `data update` of one session for the whole market (5,500 stocks), from a local source and an HTTP vendor.

- local: 通达信 day files (`vipdoc/*/lday/*.day`, written in the real record layout) of the synthetic market,
  `update_store(day=D)` into a store holding the sessions before D and the market's published corporate
  actions (TDX files have no previous close): read 5,500 files' tails, the gate, append;
- vendor: the same day from the tushare stand-in (tests/support/tushare_standin.py, 127.0.0.1) through our
  HTTP client, with the stand-in's quota and the client's limiter both at --calls-per-minute;
- akshare: the same day from the eastmoney stand-in (tests/support/eastmoney_standin.py): the day just closed
  from the spot list (pages of 100) + 分红送配 + index klines, through `update_store`; and a past day, which
  takes one kline call per stock, timed on --history-symbols stocks without a limiter and extrapolated;
- baostock: the same day from the baostock stand-in (tests/support/baostock_standin.py, TCP): the whole-market
  call (`query_daily_history_k_AStock`) + `query_all_stock`, through `update_store`; and the per-stock path
  (`query_history_k_data_plus` per code), timed on --history-symbols stocks and extrapolated;
- baseline, same run: what adding a day cost before issue 16, rewriting the whole store with the day
  (`BarStore.write` of every bar).

Goals: local ≤ 2 s, stand-in vendor ≤ 10 s with its rate limit. Written to benchmarks/results/update.json.

    python benchmarks/bench_update.py [--symbols 5500] [--sessions 60] [--calls-per-minute 200] [--history-symbols 500]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.baostock_standin import BaostockStandin  # noqa: E402
from support.eastmoney_standin import EastmoneyStandin  # noqa: E402
from support.tdx_files import write_vipdoc  # noqa: E402
from support.tushare_standin import TOKEN, TushareStandin, tushare_tables  # noqa: E402

from alphamoe.data.actions.store import ACTIONS_KEY  # noqa: E402
from alphamoe.data.feeds.akshare import AkshareSource, EastmoneyClient  # noqa: E402
from alphamoe.data.feeds.baostock import BaostockSource  # noqa: E402
from alphamoe.data.feeds.baostock_client import BaostockClient  # noqa: E402
from alphamoe.data.feeds.pacing import RateLimiter, Retry  # noqa: E402
from alphamoe.data.feeds.tdx import TdxSource  # noqa: E402
from alphamoe.data.feeds.tushare import TushareClient  # noqa: E402
from alphamoe.data.feeds.tushare_market import TushareSource  # noqa: E402
from alphamoe.data.synthetic import write_market  # noqa: E402
from alphamoe.data.update import update_store  # noqa: E402
from alphamoe.market.bars import BarStore  # noqa: E402
from alphamoe.market.calendar import TradingCalendar  # noqa: E402

CPU: dict[str, float] = {}  # CPU seconds of each timed step: less distorted than wall time on a shared machine


def _timed(fn: Callable[[], object], label: str) -> tuple[float, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    CPU[label] = round(time.process_time() - c0, 3)
    return time.perf_counter() - t0, out


def _urls(standin: EastmoneyStandin) -> dict[str, str]:
    # the eastmoney endpoints, all served by the stand-in
    base = standin.base_url
    return {"spot_url": f"{base}/api/qt/clist/get", "kline_url": f"{base}/api/qt/stock/kline/get",
            "dividend_url": f"{base}/api/data/v1/get"}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=5500)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--calls-per-minute", type=int, default=200)
    parser.add_argument("--history-symbols", type=int, default=500, help="stocks of the per-stock paths' sample")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_update_"))
    try:
        return _run(work, args.symbols, args.sessions, args.calls_per_minute, args.history_symbols)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, symbols: int, sessions: int, per_minute: int, history_symbols: int) -> dict[str, Any]:
    console = Console()
    end = date(2026, 6, 30)
    days = TradingCalendar().sessions(date(2025, 1, 2), end)[-sessions:]
    market = write_market(work / "market", symbols=symbols, start=days[0], end=days[-1], seed=7)
    bars, instruments = market.frame(), market.instruments()
    day = days[-1]
    seed = work / "seed"
    BarStore.write(seed, bars[bars["date"] < day], instruments, {"source": "bench seed"})
    shutil.copy(work / "market" / ACTIONS_KEY, seed / ACTIONS_KEY)  # published actions: TDX's ex-rights reference
    actions = list(market.actions())
    rows_day = int((bars["date"] == day).sum())

    vipdoc = write_vipdoc(work / "tdx", bars)
    shutil.copytree(seed, work / "local")
    tdx = TdxSource(vipdoc, actions_on=BarStore(work / "local").actions_on)
    fetch_s, _ = _timed(lambda: tdx.fetch_day(day), "tdx_fetch_day")
    local_s, local = _timed(lambda: update_store(work / "local", tdx, day=day), "local")

    tables = tushare_tables(bars[bars["date"] >= days[-5]], instruments, actions=actions)
    with TushareStandin(tables, calls_per_minute=per_minute) as server:
        client = TushareClient(
            TOKEN, base_url=server.base_url, limiter=RateLimiter(per_minute), retry=Retry(attempts=3, backoff_s=0.5)
        )
        shutil.copytree(seed, work / "vendor")
        vendor_s, vendor = _timed(lambda: update_store(work / "vendor", TushareSource(client), day=day), "vendor")
        calls = server.calls()

    recent = bars[bars["date"] >= days[-5]].reset_index(drop=True)
    sample = recent[recent["symbol"].isin(sorted(set(recent["symbol"]))[:history_symbols])]
    retry = Retry(attempts=3, backoff_s=0.5)
    with EastmoneyStandin(bars=recent, actions=actions, calls_per_minute=per_minute) as em:
        akshare = AkshareSource(EastmoneyClient(limiter=RateLimiter(per_minute), retry=retry), **_urls(em))
        shutil.copytree(seed, work / "akshare")
        akshare_s, akshare_report = _timed(lambda: update_store(work / "akshare", akshare, day=day), "akshare")
        akshare_calls = em.calls()
    with EastmoneyStandin(bars=sample, today=day) as em:
        past = AkshareSource(EastmoneyClient(retry=retry), indices=(), **_urls(em))
        past_s, past_batch = _timed(lambda: past.fetch_day(days[-2]), "akshare_past_day_sample")
        past_calls = em.calls("/api/qt/stock/kline/get")
    with BaostockStandin(bars=recent, calls_per_minute=per_minute) as bs:
        client = BaostockClient(*bs.address, limiter=RateLimiter(per_minute), retry=retry)
        shutil.copytree(seed, work / "baostock")
        baostock = BaostockSource(client)
        baostock_s, baostock_report = _timed(lambda: update_store(work / "baostock", baostock, day=day), "baostock")
        baostock_calls = bs.calls()
    with BaostockStandin(bars=sample) as bs:
        per_stock = BaostockSource(BaostockClient(*bs.address, retry=retry), indices=(), per_stock=True)
        per_stock_s, per_stock_batch = _timed(lambda: per_stock.fetch_day(day), "baostock_per_stock_sample")
        per_stock_calls = bs.calls("query_history_k_data_plus")
    past_stocks = int(past_batch.bars["symbol"].nunique())  # type: ignore[attr-defined]
    per_stock_stocks = len(per_stock_batch.bars)  # type: ignore[attr-defined]
    per_call = {"akshare_kline_ms": 1000 * past_s / max(past_calls, 1),
                "baostock_k_data_ms": 1000 * per_stock_s / max(per_stock_calls, 1)}  # fmt: skip
    whole = {k: v * symbols / 1000 for k, v in per_call.items()}  # seconds for every stock, no limiter
    floor_s = 60 * symbols / per_minute if per_minute else 0.0  # the limiter alone, one call per stock

    baseline_s, _ = _timed(lambda: BarStore.write(work / "rewrite", bars, instruments, {"source": "bench"}), "baseline")

    result = {
        "symbols": symbols,
        "stored_sessions": len(days) - 1,
        "day": day.isoformat(),
        "rows_of_day": rows_day,
        "local_tdx_s": round(local_s, 3),
        "tdx_fetch_day_s": round(fetch_s, 3),
        "local_admitted": [d.isoformat() for d in local.admitted],  # type: ignore[attr-defined]
        "vendor_standin_s": round(vendor_s, 3),
        "vendor_admitted": [d.isoformat() for d in vendor.admitted],  # type: ignore[attr-defined]
        "vendor_calls": calls,
        "calls_per_minute": per_minute,
        "akshare_standin_s": round(akshare_s, 3),
        "akshare_calls": akshare_calls,
        "akshare_admitted": [d.isoformat() for d in akshare_report.admitted],  # type: ignore[attr-defined]
        "akshare_past_day_sample": {"stocks": past_stocks, "kline_calls": past_calls, "seconds": round(past_s, 3)},
        "baostock_standin_s": round(baostock_s, 3),
        "baostock_calls": baostock_calls,
        "baostock_admitted": [d.isoformat() for d in baostock_report.admitted],  # type: ignore[attr-defined]
        "baostock_per_stock_sample": {
            "stocks": per_stock_stocks,
            "k_data_calls": per_stock_calls,
            "seconds": round(per_stock_s, 3),
        },
        "per_call_ms": {k: round(v, 3) for k, v in per_call.items()},
        "per_stock_whole_market_s_unpaced": {k.removesuffix("_ms"): round(v, 1) for k, v in whole.items()},
        "per_stock_whole_market_pacing_floor_s": round(floor_s, 1),
        "baseline_rewrite_store_s": round(baseline_s, 3),
        "cpu_s": dict(CPU),
        "goals": {"local_s": 2.0, "vendor_s": 10.0},
    }
    table = Table(title=f"data update · one session × {symbols:,} stocks ({rows_day:,} bars)")
    for column in ("path", "seconds", "CPU s", "goal"):
        table.add_column(column)
    table.add_row("TDX day files → gate → append", f"{local_s:.2f}", f"{CPU['local']:.2f}", "≤ 2")
    table.add_row("  of which reading the TDX files", f"{fetch_s:.2f}", f"{CPU['tdx_fetch_day']:.2f}", "")
    table.add_row(
        f"tushare stand-in ({calls} calls, {per_minute}/min) → gate → append",
        f"{vendor_s:.2f}",
        f"{CPU['vendor']:.2f}",
        "≤ 10",
    )
    table.add_row(
        f"akshare stand-in: spot list + 分红送配 ({akshare_calls} calls, {per_minute}/min) → gate → append",
        f"{akshare_s:.2f}",
        f"{CPU['akshare']:.2f}",
        "≤ 10",
    )
    table.add_row(
        f"baostock stand-in: whole-market call ({baostock_calls} calls, {per_minute}/min) → gate → append",
        f"{baostock_s:.2f}",
        f"{CPU['baostock']:.2f}",
        "≤ 10",
    )
    for label, ms, key in (
        ("akshare past day: kline", per_call["akshare_kline_ms"], "akshare_kline_ms"),
        ("baostock per stock: k data", per_call["baostock_k_data_ms"], "baostock_k_data_ms"),
    ):
        table.add_row(
            f"  {label} per stock ({ms:.1f} ms/call): {symbols:,} calls unpaced · at {per_minute}/min",
            f"{whole[key]:.1f} · {floor_s:,.0f}",
            "",
            "≤ 10 met" if max(whole[key], floor_s) <= 10 else "≤ 10 not met",
        )  # fmt: skip
    table.add_row(
        f"baseline: rewrite the whole store ({len(days)} sessions)", f"{baseline_s:.2f}", f"{CPU['baseline']:.2f}", ""
    )
    console.print(table)
    for label, report in (("local", local), ("vendor", vendor), ("akshare", akshare_report),
                          ("baostock", baostock_report)):  # fmt: skip
        if report.admitted != [day]:  # type: ignore[attr-defined]
            raise SystemExit(f"{label} update did not publish {day}: {report.quarantined}")  # type: ignore[attr-defined]
    path = REPO / "benchmarks" / "results" / "update.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
