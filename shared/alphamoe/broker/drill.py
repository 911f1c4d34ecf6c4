"""The RTO drill: SIGKILL the execute process at random points of a trading day with orders in flight,
restart it, and time it back to reconciled-and-ready; then check that no order was lost or sent twice.

Two brokers. `gateway`: a paper broker behind the TAL gateway in its own process, which outlives execute as
a real one does; execute is wired as a live adapter (Redis journal, a lease per account and day). `paper`:
the in-process paper broker of the default deployment, which dies with execute and is rebuilt from the
journal on restart (`PaperBroker.restore`); its outcome must equal the same orders run once, unkilled.
Approved orders wait in a Redis stream read by a consumer group, as the bridge delivers them: at least
once, so a restarted execute re-reads what it had not acknowledged, and only its journal stands between
a redelivery and a second order.

With several accounts (`accounts=3`, issue 20) there is one execute process per account, as one Knative
Service per broker session runs them (`knative/accounts`), each with its own stream, journal, lease and
broker (its own gateway); every kill kills them all at once, and each one's time back to ready is an RTO.

    python -m alphamoe.broker.drill worker …   # the execute process (started by `run_drill`)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
import redis

if TYPE_CHECKING:
    from alphamoe.broker.journal import Journal
    from alphamoe.broker.orders import OrderRecord
    from alphamoe.broker.service import ExecutionService

GROUP = "execute"
CONSUMER = "execute-0"
READY = "alphamoe:drill:ready"
READY_CPU = "alphamoe:drill:ready-cpu"  # CPU seconds each worker spent to be ready: the RTO without the load
ACCOUNT = "drill"
CASH = Decimal("100000000")  # the paper account (both brokers): enough that no order's fate hangs on cash
DrillBroker = Literal["gateway", "paper"]


def drill_accounts(count: int) -> list[str]:
    """The accounts of a drill: `drill` alone, or drill-1 … drill-N."""
    return [ACCOUNT] if count == 1 else [f"{ACCOUNT}-{n + 1}" for n in range(count)]


def stream_of(account: str) -> str:
    """The approved orders of one account's execute (a stream read by a consumer group)."""
    return f"alphamoe:drill:{account}:approved"


def done_of(account: str) -> str:
    """Set when one account's execute has drained its stream."""
    return f"alphamoe:drill:{account}:done"


# -- the execute process ---------------------------------------------------------------------------
def remote_service(
    client: redis.Redis, secret: bytes, gateway: str, token: str, account: str = ACCOUNT
) -> ExecutionService:
    """Execute on the broker behind the gateway, wired as a live adapter: Redis journal and lease."""
    from alphamoe.broker.desk import DeskConfig
    from alphamoe.broker.journal import RedisJournal
    from alphamoe.broker.lock import DayLocks
    from alphamoe.broker.remote import RemoteBroker
    from alphamoe.broker.service import ExecutionService

    return ExecutionService(
        RedisJournal(client, account),
        lambda d: RemoteBroker(gateway, token, d),
        secret,
        desk=DeskConfig(wait_s=5),
        locks=DayLocks(client, account),
    )


def paper_service(journal: Journal, secret: bytes, data: Path, runs: Path, account: str = ACCOUNT) -> ExecutionService:
    """Execute on the in-process paper broker, built as the execute function builds it by default."""
    from alphamoe.broker.desk import DeskConfig
    from alphamoe.market.bars import BarStore
    from alphamoe.market.fees import CommissionSchedule
    from alphamoe.pipeline.accounts import AccountBook
    from alphamoe.pipeline.stages.execute import ExecuteStage
    from alphamoe.pipeline.stages.market_data import MarketData

    store = BarStore(data)
    book = AccountBook(runs / "accounts", account, CASH, actions=store)  # the opening applies the ex dates
    stage = ExecuteStage(
        MarketData(store), book, secret, CommissionSchedule(), journal=journal, desk=DeskConfig(wait_s=5)
    )
    return stage.service


def worker(
    redis_url: str,
    secret: bytes,
    day: date,
    pace_s: float,
    *,
    broker: DrillBroker = "gateway",
    gateway: str = "",
    token: str = "",
    data: Path | None = None,
    runs: Path | None = None,
    account: str = ACCOUNT,
) -> None:
    """Recover, announce readiness, then execute `account`'s approved orders from its stream until drained."""
    from alphamoe.broker.journal import RedisJournal
    from alphamoe.broker.protocol import BrokerUnavailableError
    from alphamoe.events.envelope import build_event
    from alphamoe.events.payloads import OrderApproved
    from alphamoe.kv.client import connect

    client = connect(redis_url)
    if broker == "paper":
        assert data is not None and runs is not None, "the paper drill needs --data and --runs"
        service = paper_service(RedisJournal(client, account), secret, data, runs, account)
    else:
        service = remote_service(client, secret, gateway, token, account)
    service.start()
    service.desk(day)
    while not service.health()[0]:
        time.sleep(0.02)
    client.hset(READY_CPU, str(os.getpid()), repr(time.process_time()))
    client.hset(READY, str(os.getpid()), repr(time.time()))
    stream = stream_of(account)
    with contextlib.suppress(redis.ResponseError):  # the group exists: a restart
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    rng = random.Random(os.getpid())
    backlog = True  # first our own unacknowledged entries (redelivery), then new ones
    while True:
        answer: Any = client.xreadgroup(GROUP, CONSUMER, {stream: "0" if backlog else ">"}, count=1, block=200)
        entries: list[tuple[str, dict[str, str]]] = answer[0][1] if answer else []
        if not entries:
            if backlog:
                backlog = False
                continue
            client.set(done_of(account), repr(time.time()))
            return
        entry_id, fields = entries[0]
        approved = OrderApproved.model_validate_json(fields["data"])
        envelope = build_event(approved, run_id="drill", source="/alphamoe/risk")
        try:
            service.execute(envelope, approved)
        except BrokerUnavailableError as exc:
            logging.warning("order %s waits: %s", approved.order.order_id, exc)
            time.sleep(0.1)  # not acknowledged: it is pending, read again from the backlog
            backlog = True
            continue
        client.xack(stream, GROUP, entry_id)
        time.sleep(rng.uniform(0, pace_s))


# -- the drill -------------------------------------------------------------------------------------
@dataclass
class DrillResult:
    kills: int
    orders: int
    broker: DrillBroker = "gateway"
    accounts: int = 1
    rto_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # each restart's CPU seconds to ready (its own process)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return statistics.median(self.rto_s)

    @property
    def p99(self) -> float:
        ordered = sorted(self.rto_s)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "accounts": self.accounts,
            "kills": self.kills,
            "orders": self.orders,
            "rto_p50_s": round(self.p50, 3),
            "rto_p99_s": round(self.p99, 3),
            "rto_max_s": round(max(self.rto_s), 3),
            "cpu_to_ready_p50_s": round(statistics.median(self.cpu_s), 3),
            "cpu_to_ready_max_s": round(max(self.cpu_s), 3),
            "lost": len(self.lost),
            "sent_twice": len(self.doubled),
            "mismatches": len(self.mismatched),
            "final_states": self.states,
        }


def _approvals(data: Path, day: date, count: int, secret: bytes, account: str = ACCOUNT) -> list[str]:
    from alphamoe.events.payloads import OrderApproved, OrderProposed
    from alphamoe.market.bars import BarStore
    from alphamoe.market.boards import board_of
    from alphamoe.risk.approval import Binding, approve
    from alphamoe.types import Board, Side

    bars = BarStore(data).day(day)
    symbols = sorted(s for s in bars if board_of(s) is Board.MAIN)
    out: list[OrderApproved] = []
    binding = Binding(day, datetime.now(UTC) + timedelta(hours=1), simulated=True)  # a past day: paper only
    for i in range(count):
        symbol = symbols[i % len(symbols)]
        prev = Decimal(str(bars[symbol].prev_close)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        order = OrderProposed(
            trading_day=day,
            order_id=f"{day}:{account}:{symbol}:BUY:drill-{i}",
            account_id=account,
            symbol=symbol,
            side=Side.BUY,
            quantity=100,
            limit_price=prev,  # at the previous close: some fill at the open, some rest (in flight)
            reference_price=prev,
            target_weight=0.001,
            kelly_fraction=0.01,
        )
        out.append(approve(order, binding, secret, ("drill",)))
    return [a.model_dump_json() for a in out]


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout} s")
        time.sleep(0.02)


def run_drill(
    data: Path,
    workdir: Path,
    *,
    kills: int,
    orders: int,
    seed: int = 7,
    pace_s: float = 0.02,
    max_run_s: float = 1.0,
    broker: DrillBroker = "gateway",
    accounts: int = 1,
) -> DrillResult:
    """Run the drill on the last session of the bar store at `data`; every process is stopped at the end.

    `orders` is per account; with several accounts each kill takes down every account's execute at once.
    """
    from alphamoe.kv.server import LocalRedis
    from alphamoe.market.bars import BarStore

    rng = random.Random(seed)
    day = BarStore(data).sessions()[-1]
    token, secret = "drill-gateway-token-0123456789abcdef", b"drill-approval-secret-0123456789abcdef"
    names = drill_accounts(accounts)
    server = LocalRedis(workdir / "redis").start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    result = DrillResult(kills=kills, orders=orders * len(names), broker=broker, accounts=len(names))
    gateways: dict[str, tuple[str, subprocess.Popen[bytes] | None]] = {}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for account in names:
            gateways[account] = _gateway(account, broker, data, workdir, token)
        for account, (url, _) in gateways.items():
            if broker == "gateway":
                _wait(lambda u=url: _healthy(u), 120, f"gateway health of {account}")
        approvals = {account: _approvals(data, day, orders, secret, account) for account in names}
        for account, raws in approvals.items():
            for raw in raws:
                client.xadd(stream_of(account), {"data": raw})
        log = (workdir / "worker.log").open("ab")
        for attempt in range(kills + 1):
            spawned = time.time()
            for account in names:
                args = _worker_args(account, broker, server.url, gateways[account][0], token, data, workdir)
                args += ["--secret", secret.decode(), "--day", day.isoformat(), "--pace", str(pace_s)]
                processes[account] = subprocess.Popen(args, env=_env(account, data, workdir, token), stderr=log)
            for account, process in processes.items():
                pid = str(process.pid)
                _wait(lambda: client.hexists(READY, pid) or process.poll() is not None, 120, "worker readiness")  # noqa: B023
                if process.poll() is not None and not client.hexists(READY, pid):
                    raise RuntimeError(f"execute worker of {account} exited with {process.returncode}; see worker.log")
                if attempt > 0:  # a restart after a kill: its time back to ready is the RTO
                    result.rto_s.append(float(client.hget(READY, pid) or 0) - spawned)
                    result.cpu_s.append(float(client.hget(READY_CPU, pid) or 0))
            if attempt == kills:
                break
            time.sleep(rng.uniform(0, max_run_s))
            drained = [a for a in names if client.exists(done_of(a))]
            if drained:
                raise RuntimeError(f"{drained} done after {attempt + 1} kills; give the drill more orders")
            for process in processes.values():
                process.send_signal(signal.SIGKILL)
            for process in processes.values():
                process.wait()
        for account in names:
            _wait(lambda a=account: bool(client.exists(done_of(a))), 120, f"{account}'s worker draining its stream")
        for process in processes.values():
            process.wait(timeout=30)
        for account in names:
            if broker == "gateway":
                _verify_gateway(result, client, gateways[account][0], token, day, approvals[account], account)
            else:
                folder = workdir / "unkilled" / account
                _verify_paper(result, client, data, folder, secret, day, approvals[account], account)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
        for _, gateway in gateways.values():
            if gateway is not None:
                gateway.terminate()
                gateway.wait(timeout=20)
        client.close()
        server.stop()
    return result


def _env(account: str, data: Path, workdir: Path, token: str) -> dict[str, str]:
    return {
        **os.environ,
        "ALPHAMOE_BROKER__TOKEN": token,
        "ALPHAMOE_RUNS": str(workdir / "runs" / account),
        "ALPHAMOE_ACCOUNT_ID": account,
        "ALPHAMOE_INITIAL_CASH": str(CASH),  # the gateway's paper account: as the in-process one
        "ALPHAMOE_DATA": str(data),
    }


def _gateway(
    account: str, broker: DrillBroker, data: Path, workdir: Path, token: str
) -> tuple[str, subprocess.Popen[bytes] | None]:
    """Start the account's broker behind its own gateway (the gateway drill); return its URL and process."""
    from alphamoe.kv.server import free_port

    port = free_port()
    if broker != "gateway":
        return f"http://127.0.0.1:{port}", None
    command = [sys.executable, "-m", "alphamoe.cli", "gateway", "--data", str(data), "--port", str(port)]
    process = subprocess.Popen(
        command,
        env=_env(account, data, workdir, token),
        stdout=subprocess.DEVNULL,
        stderr=(workdir / f"gateway-{account}.log").open("wb"),
        start_new_session=True,
    )
    return f"http://127.0.0.1:{port}", process


def _worker_args(
    account: str, broker: DrillBroker, redis_url: str, gateway: str, token: str, data: Path, workdir: Path
) -> list[str]:
    return [
        sys.executable, "-m", "alphamoe.broker.drill", "worker", "--broker", broker, "--account", account,
        "--redis", redis_url, "--gateway", gateway, "--token", token, "--data", str(data),
        "--runs", str(workdir / "runs" / account),
    ]  # fmt: skip


def _client_ids(approvals: list[str]) -> list[str]:
    from alphamoe.broker.ids import client_order_id
    from alphamoe.events.payloads import OrderApproved

    return [client_order_id(OrderApproved.model_validate_json(raw).order.order_id) for raw in approvals]


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _journaled(client: redis.Redis, day: date, result: DrillResult, account: str) -> dict[str, OrderRecord]:
    from alphamoe.broker.journal import RedisJournal

    journal = {r.client_order_id: r for r in RedisJournal(client, account).records(day)}
    for record in journal.values():
        result.states[record.status.value] = result.states.get(record.status.value, 0) + 1
    return journal


def _verify_gateway(
    result: DrillResult, client: redis.Redis, url: str, token: str, day: date, approvals: list[str], account: str
) -> None:
    """The gateway's broker is the truth: every order there and in the journal, alike, each sent once."""
    from alphamoe.broker.protocol import BrokerOrder

    headers = {"authorization": f"Bearer {token}"}
    submits: dict[str, int] = httpx.get(f"{url}/v1/stats", headers=headers, timeout=10).json()["submits"]
    truth = {
        o.client_order_id: o
        for o in (
            BrokerOrder.model_validate(raw)
            for raw in httpx.get(f"{url}/v1/{day}/orders", headers=headers, timeout=30).json()
        )
    }
    journal = _journaled(client, day, result, account)
    result.lost += [c for c in _client_ids(approvals) if c not in truth or c not in journal]
    result.doubled += [c for c, n in submits.items() if n > 1]
    for cid, record in journal.items():
        broker = truth.get(cid)
        if broker is None or (broker.status, broker.filled_quantity) != (record.status, record.filled_quantity):
            result.mismatched.append(cid)


def _verify_paper(
    result: DrillResult,
    client: redis.Redis,
    data: Path,
    folder: Path,
    secret: bytes,
    day: date,
    approvals: list[str],
    account: str,
) -> None:
    """The in-process counter died with each kill: the day must end as the same orders run once, unkilled.

    Doubled: an order with more fills or shares than unkilled (a trade booked twice). Mismatched: any other
    difference in status or fills.
    """
    from alphamoe.broker.journal import MemoryJournal
    from alphamoe.broker.reconcile import UNSENT
    from alphamoe.events.envelope import build_event
    from alphamoe.events.payloads import OrderApproved

    reference = MemoryJournal()
    unkilled = paper_service(reference, secret, data, folder, account)
    for raw in approvals:
        approved = OrderApproved.model_validate_json(raw)
        unkilled.execute(build_event(approved, run_id="drill", source="/alphamoe/risk"), approved)
    expected = {r.client_order_id: r for r in reference.records(day)}
    journal = _journaled(client, day, result, account)
    result.lost += [c for c in _client_ids(approvals) if c not in journal or journal[c].status in UNSENT]
    for cid, record in journal.items():
        want = expected.get(cid)
        if want is None or len(record.fills) > len(want.fills) or record.filled_quantity > want.filled_quantity:
            result.doubled.append(cid)
        elif (record.status, record.fills) != (want.status, want.fills):
            result.mismatched.append(cid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alphamoe.broker.drill")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--broker", choices=("gateway", "paper"), default="gateway")
    w.add_argument("--account", default=ACCOUNT)
    w.add_argument("--redis", required=True)
    w.add_argument("--gateway", default="")
    w.add_argument("--token", default="")
    w.add_argument("--data", type=Path)
    w.add_argument("--runs", type=Path)
    w.add_argument("--secret", required=True)
    w.add_argument("--day", required=True)
    w.add_argument("--pace", type=float, default=0.02)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    worker(
        args.redis,
        args.secret.encode(),
        date.fromisoformat(args.day),
        args.pace,
        broker=args.broker,
        gateway=args.gateway,
        token=args.token,
        data=args.data,
        runs=args.runs,
        account=args.account,
    )


if __name__ == "__main__":
    main()
