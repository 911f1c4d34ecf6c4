"""Account snapshots survive a full disk: the write is atomic, and an older version's torn file is named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support.disk import fill_disk

from alphamoe.errors import DataError
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState, Position

D1, D2, D3 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)


def closing(day: date, cash: str) -> AccountState:
    held = Position(symbol="600000.SH", quantity=1000, sellable=0, cost=Decimal("10000"), last_price=Decimal("10"))
    return AccountState(account_id="acc", trading_day=day, cash=Decimal(cash), positions=(held,))


def test_save_close_when_disk_fills_midway_then_previous_snapshot_intact_and_next_day_opens_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = AccountBook(tmp_path, "acc", Decimal("1000000"))
    book.save_close(closing(D2, "990000.00"))
    with monkeypatch.context() as m:
        fill_disk(m)
        with pytest.raises(OSError, match="No space left"):
            book.save_close(closing(D2, "980000.00"))  # a rerun of D2 whose write fails halfway
    opening = book.opening_state(D3)
    assert opening.cash == Decimal("990000.00") and opening.positions[0].sellable == 1000  # T+1 rolled
    assert [p.name for p in book.dir.iterdir()] == [f"{D2}.json"]  # no temporary file left behind


def test_opening_state_when_snapshot_truncated_by_older_version_then_error_names_file_and_remedy(
    tmp_path: Path,
) -> None:
    book = AccountBook(tmp_path, "acc", Decimal("1000000"))
    book.save_close(closing(D1, "995000.00"))
    torn = book.save_close(closing(D2, "990000.00"))
    torn.write_bytes(torn.read_bytes()[:40])  # what a non-atomic write on a full disk left
    with pytest.raises(DataError) as caught:
        book.opening_state(D3)
    message = str(caught.value)
    assert str(torn) in message and "truncated or corrupt" in message and "mv " in message
    torn.rename(torn.with_suffix(".json.corrupt"))  # the remedy the message gives
    assert book.opening_state(D3).cash == Decimal("995000.00")


def test_opening_state_when_other_files_beside_snapshots_then_ignored(tmp_path: Path) -> None:
    book = AccountBook(tmp_path, "acc", Decimal("1000000"))
    book.save_close(closing(D1, "995000.00"))
    (book.dir / "notes.json").write_text("{}")
    (book.dir / f".{D2}.json.tmp-0123").write_text("{")
    assert book.opening_state(D3).cash == Decimal("995000.00")
