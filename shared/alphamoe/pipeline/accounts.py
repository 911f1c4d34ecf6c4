"""Account snapshots between trading days: the state at D's open is the close of the last run day before D."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from alphamoe.errors import DataError
from alphamoe.market.corporate import ActionSource, actions_since
from alphamoe.portfolio import AccountState
from alphamoe.storage.local import write_atomically


class AccountBook:
    """End-of-day account snapshots as JSON files under `<root>/<account_id>/<YYYY-MM-DD>.json`.

    Re-running day D replaces D's snapshot and reads only days before D, so a rerun sees the same opening
    state and gives the same orders. A snapshot is written to a temporary file and renamed over the old one,
    so a crash or a full disk mid-write leaves the previous snapshot whole. With `actions`, the opening
    applies the corporate actions gone ex since the last close (`AccountState.roll_to`).
    """

    def __init__(
        self, root: Path, account_id: str, initial_cash: Decimal, *, actions: ActionSource | None = None
    ) -> None:
        self.dir = Path(root) / account_id
        self.account_id = account_id
        self.initial_cash = initial_cash
        self.actions = actions

    def snapshots(self) -> dict[date, Path]:
        """Return the snapshot file of each closed day (files not named `<YYYY-MM-DD>.json` are not snapshots)."""
        found: dict[date, Path] = {}
        for path in self.dir.glob("*.json"):
            try:
                found[date.fromisoformat(path.stem)] = path
            except ValueError:
                continue
        return dict(sorted(found.items()))

    def opening_state(self, day: date) -> AccountState:
        """Return the state at the open of `day`: yesterday's buys now sellable (T+1), corporate actions applied."""
        previous = [path for closed, path in self.snapshots().items() if closed < day]
        if not previous:
            return AccountState(account_id=self.account_id, trading_day=day, cash=self.initial_cash)
        close = self.read(previous[-1])
        return close.roll_to(day, actions_since(self.actions, close.trading_day, day))

    def read(self, path: Path) -> AccountState:
        """Parse one snapshot; a truncated or corrupt one (an older version's crash) says which and what to do."""
        try:
            return AccountState.model_validate_json(path.read_bytes())
        except (ValidationError, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(
                f"account snapshot {path} is truncated or corrupt ({first}); it was left by an interrupted write "
                f"(a crash or a full disk before snapshots were written atomically). Rerun day {path.stem} to "
                f"rewrite it, or move it aside (`mv {path} {path}.corrupt`) so the next day opens from the close "
                "before it"
            ) from None

    def save_close(self, state: AccountState) -> Path:
        path = self.dir / f"{state.trading_day.isoformat()}.json"
        return write_atomically(path, state.model_dump_json(indent=2).encode("utf-8"))
