"""Account snapshots between trading days: the state at D's open is the close of the last run day before D."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from alphamoe.portfolio import AccountState


class AccountBook:
    """End-of-day account snapshots as JSON files under `<root>/<account_id>/<YYYY-MM-DD>.json`.

    Re-running day D replaces D's snapshot and reads only days before D, so a rerun sees the same opening
    state and gives the same orders.
    """

    def __init__(self, root: Path, account_id: str, initial_cash: Decimal) -> None:
        self.dir = Path(root) / account_id
        self.account_id = account_id
        self.initial_cash = initial_cash

    def opening_state(self, day: date) -> AccountState:
        """Return the state at the open of `day` (yesterday's buys now sellable: T+1)."""
        previous = sorted(p for p in self.dir.glob("*.json") if p.stem < day.isoformat())
        if not previous:
            return AccountState(account_id=self.account_id, trading_day=day, cash=self.initial_cash)
        state = AccountState.model_validate_json(previous[-1].read_text(encoding="utf-8"))
        return state.roll_to(day)

    def save_close(self, state: AccountState) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{state.trading_day.isoformat()}.json"
        path.write_text(state.model_dump_json(indent=2), encoding="utf-8")
        return path
