"""The day of several accounts at a glance: one line per account and the totals, beside their own reports.

Each account's report (`<runs>/<day>/accounts/<id>/report.json`) stays the detail; the combined one
(`<runs>/<day>/accounts/report.json`) says which accounts traded, what each ordered and filled, where
each closed, and which were stopped by their broker (their dead letters), so one failing account is
visible without hiding the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from alphamoe.accounts.config import AccountConfig
from alphamoe.storage.local import write_atomically

if TYPE_CHECKING:
    from alphamoe.pipeline.run import DayRun


class AccountLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    account_id: str
    adapter: str
    capital: Decimal
    orders: int
    filled_orders: int
    fills: int
    cash: Decimal
    equity: Decimal
    failures: list[str]
    report: str  # the account's own report, relative to the combined one


class CombinedReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    trading_day: date
    run_id: str
    accounts: list[AccountLine]
    orders: int
    fills: int
    equity: Decimal
    failed_accounts: list[str]


def combine(accounts: Sequence[AccountConfig], runs: Mapping[str, DayRun], folder: Path) -> CombinedReport:
    """One line per account (in configuration order) and the totals of the day."""
    lines = []
    for account in accounts:
        report = runs[account.id].report
        lines.append(
            AccountLine(
                account_id=account.id,
                adapter=account.adapter,
                capital=account.capital,
                orders=len(report.orders),
                filled_orders=sum(1 for o in report.orders if o.filled_quantity > 0),
                fills=len(report.fills),
                cash=report.cash,
                equity=report.equity,
                failures=list(report.dead_letters),
                report=str(runs[account.id].json_path.relative_to(folder)),
            )
        )
    first = runs[accounts[0].id].report
    return CombinedReport(
        trading_day=first.trading_day,
        run_id=first.run_id,
        accounts=lines,
        orders=sum(line.orders for line in lines),
        fills=sum(line.fills for line in lines),
        equity=sum((line.equity for line in lines), Decimal(0)),
        failed_accounts=[line.account_id for line in lines if line.failures],
    )


def accounts_folder(runs_dir: Path, day: date) -> Path:
    """`<runs>/<day>/accounts/`: each account's report in `<id>/`, the combined one as `report.json`."""
    return runs_dir / day.isoformat() / "accounts"


def write_combined(folder: Path, accounts: Sequence[AccountConfig], runs: Mapping[str, DayRun]) -> Path:
    """Write the combined report as `<folder>/report.json` (atomically) and return its path."""
    combined = combine(accounts, runs, folder)
    return write_atomically(folder / "report.json", combined.model_dump_json(indent=2).encode("utf-8"))


def read_combined(runs_dir: Path, day: date) -> CombinedReport:
    return CombinedReport.model_validate_json((accounts_folder(runs_dir, day) / "report.json").read_bytes())


def summary_lines(combined: CombinedReport) -> list[str]:
    """The CLI's per-account and combined summary, one line each."""
    out = [
        f"{line.account_id:<16} {line.adapter:<8} orders {line.orders:>3}  filled {line.filled_orders:>3}  "
        f"equity {line.equity:>16,.2f}" + (f"  FAILED: {line.failures[0]}" if line.failures else "")
        for line in combined.accounts
    ]
    out.append(
        f"{'all accounts':<25} orders {combined.orders:>3}  fills {combined.fills:>4}  equity {combined.equity:>16,.2f}"
        + (f"  failed: {', '.join(combined.failed_accounts)}" if combined.failed_accounts else "")
    )
    return out
