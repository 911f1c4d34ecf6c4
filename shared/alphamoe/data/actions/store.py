"""Corporate actions beside the bars (`corporate_actions.parquet`), merged on write, read point in time.

A write never drops what it does not bring: published records replace the records of the (symbol, ex date)s
they carry; inferred records replace the inferred records of the symbols they were inferred for (so a
re-import of the bars leaves no stale guess); and a symbol with any published record keeps no inferred one,
whatever the order of the imports (mixing both would apply one event twice when the dates differ).
The file is rewritten whole and atomically by the object store.
"""

from __future__ import annotations

import io
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from alphamoe.data.actions.model import PLACES, CorporateAction, per_share
from alphamoe.errors import DataError
from alphamoe.storage import ObjectNotFoundError, ObjectStore

ACTIONS_KEY = "corporate_actions.parquet"
_AMOUNT = pa.decimal128(20, PLACES)
ACTION_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("kind", pa.string()),
        ("ex_date", pa.date32()),
        ("cash", _AMOUNT),
        ("shares", _AMOUNT),
        ("rights_ratio", _AMOUNT),
        ("rights_price", _AMOUNT),
        ("record_date", pa.date32()),
        ("pay_date", pa.date32()),
        ("listing_date", pa.date32()),
        ("announced", pa.date32()),
        ("source", pa.string()),
        ("inferred", pa.bool_()),
    ]
)
_DECIMALS = ("cash", "shares", "rights_ratio", "rights_price")


def _order(action: CorporateAction) -> tuple[date, str, str]:
    return action.ex_date, action.symbol, action.kind.value


def read_actions(objects: ObjectStore) -> list[CorporateAction]:
    """Return every stored action sorted by (ex date, symbol, kind); none when the store has no actions file."""
    try:
        raw = objects.get_bytes(ACTIONS_KEY)
    except ObjectNotFoundError:
        return []
    try:
        rows = pq.read_table(pa.BufferReader(raw)).to_pylist()
    except pa.ArrowException as exc:
        raise DataError(f"cannot read {ACTIONS_KEY} of {objects.url}: {exc}") from None
    for row in rows:
        for name in _DECIMALS:
            if row[name] is not None:
                row[name] = per_share(row[name])
    return [CorporateAction.model_validate(row) for row in rows]


def merge(
    existing: Iterable[CorporateAction],
    new: Iterable[CorporateAction],
    *,
    inferred_for: Iterable[str] = (),
    inferred_span: tuple[date, date] | None = None,
) -> list[CorporateAction]:
    """Return `existing` updated by `new` under the module's rules, sorted; `inferred_for`: the symbols inferred,
    `inferred_span`: the ex dates they were inferred over (an appended day re-infers only its own; None: all)."""
    incoming = list(new)
    published = [a for a in incoming if not a.inferred]
    replaced_days = {(a.symbol, a.ex_date) for a in published}
    reinferred = set(inferred_for) | {a.symbol for a in incoming if a.inferred}
    first, last = inferred_span or (date.min, date.max)
    kept = [
        a
        for a in existing
        if (a.symbol, a.ex_date) not in replaced_days
        and not (a.inferred and a.symbol in reinferred and first <= a.ex_date <= last)
    ]
    merged = kept + incoming
    with_published = {a.symbol for a in merged if not a.inferred}
    return sorted((a for a in merged if not (a.inferred and a.symbol in with_published)), key=_order)


def write_actions(
    objects: ObjectStore,
    actions: Iterable[CorporateAction],
    *,
    inferred_for: Iterable[str] = (),
    inferred_span: tuple[date, date] | None = None,
) -> list[CorporateAction]:
    """Merge `actions` into the store's actions file and return what it now holds (unchanged: nothing written)."""
    existing = read_actions(objects)
    merged = merge(existing, actions, inferred_for=inferred_for, inferred_span=inferred_span)
    if merged == sorted(existing, key=_order) and (merged or objects.exists(ACTIONS_KEY)):
        return merged
    table = pa.Table.from_pylist([a.model_dump(mode="python") for a in merged], schema=ACTION_SCHEMA)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    objects.put_bytes(ACTIONS_KEY, sink.getvalue())
    return merged


class ActionBook:
    """Stored actions, read point in time.

    The ex date decides when an action applies (`on`); `known_on` bounds what a decision of that day may see
    of actions to come (`between(…, known_on=D)`): an action is known from its announcement, or from its ex
    date when the source gives none (inferred actions, which only the ex date's reference price reveals).
    """

    def __init__(self, actions: Sequence[CorporateAction]) -> None:
        self._actions = sorted(actions, key=_order)
        self._ex_dates = [a.ex_date for a in self._actions]

    def __len__(self) -> int:
        return len(self._actions)

    def __iter__(self) -> Iterator[CorporateAction]:
        return iter(self._actions)

    def on(self, day: date) -> list[CorporateAction]:
        """Return the actions whose ex date is `day`: what an account applies before that session opens."""
        return self._actions[bisect_left(self._ex_dates, day) : bisect_right(self._ex_dates, day)]

    def between(self, start: date, end: date, *, known_on: date | None = None) -> list[CorporateAction]:
        """Return the actions with ex dates start … end, only those public by `known_on` when it is given."""
        span = self._actions[bisect_left(self._ex_dates, start) : bisect_right(self._ex_dates, end)]
        return span if known_on is None else [a for a in span if a.known_on <= known_on]
