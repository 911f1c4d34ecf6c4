"""The quality gate before a day becomes visible, and the quarantine where a failing day waits with its reasons.

A day is judged by the `data check` rules (`data.quality.check_bars`) on its bars beside each stock's last
stored bar, plus what only the store's context can tell: a previous close that does not continue the stored
close (unless a known corporate action or an XD/XR/DR name explains the step), a missing previous close, a
number that is not one, a negative volume, and a day that brings far fewer stocks than the session before
(a truncated file). A failing day is kept at `quarantine/<day>/` (bars.parquet, then findings.json) and is
not published; `alphamoe data quarantine` lists it, `--release DAY --force` publishes it anyway.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.actions.store import read_actions
from alphamoe.data.names import name_flags
from alphamoe.data.quality import Finding, check_actions, check_bars, session_calendar
from alphamoe.data.store_write import last_bars, stored_years
from alphamoe.errors import DataError
from alphamoe.market.bands import to_fen
from alphamoe.market.bars import BAR_COLUMNS, BAR_SCHEMA, BarStore
from alphamoe.storage import ObjectNotFoundError, ObjectStore

QUARANTINE = "quarantine/"
MIN_COVERAGE = 0.9  # a day with fewer stocks than this share of the previous session's is incomplete
NUMBERS = ["open", "high", "low", "close", "prev_close", "volume", "amount"]
GATE_RULES = {
    "missing_prev_close": "every bar carries the exchange's previous close (a positive number)",
    "not_a_number": "prices, volume and amount are numbers",
    "negative_volume": "volume and amount are ≥ 0 (a vendor's -1 means unknown)",
    "prev_close": "the previous close is the stored close of the session before, unless a corporate action explains it",
    "incomplete_day": f"a day brings at least {MIN_COVERAGE:.0%} of the stocks of the session before (else truncated)",
    "after_quarantined_day": "a day after a quarantined one waits for it",
}


class QuarantinedDay(BaseModel):
    """One day held in quarantine: where its bars came from and every finding against them."""

    model_config = ConfigDict(frozen=True)

    day: date
    source: str
    rows: int
    findings: list[dict[str, Any]]


def gate_findings(
    objects: ObjectStore, frame: pd.DataFrame, actions: Iterable[CorporateAction] = ()
) -> dict[date, list[Finding]]:
    """Return the findings of each incoming day (frame: BAR_COLUMNS, python dates) in the store's context."""
    days = sorted(set(frame["date"]))
    if not days:
        return {}
    findings = _numbers(frame)
    usable = frame[np.isfinite(frame[NUMBERS].to_numpy(dtype=np.float64)).all(axis=1)]
    context = last_bars(objects, days[0], set(usable["symbol"]))
    combined = pd.concat([context, usable], ignore_index=True) if not context.empty else usable
    sessions = BarStore(objects).sessions() if stored_years(objects) else []
    calendar = session_calendar(min(combined["date"]), days[-1], _index_days(objects))
    incoming = set(days)
    checked = check_bars(combined, calendar)
    findings += [f for f in checked if f.day in incoming]
    known = [a for a in [*read_actions(objects), *actions] if a.ex_date in incoming]
    findings += [
        f for f in check_actions(known, combined, calendar) if f.rule != "action_inferred" and f.day in incoming
    ]
    findings += _prev_close_steps(combined, incoming, sorted(set(sessions) | incoming), known)
    findings += _coverage(objects, frame, sessions)
    out: dict[date, list[Finding]] = {}
    for finding in sorted(set(findings)):
        out.setdefault(finding.day, []).append(finding)
    return out


def _index_days(objects: ObjectStore) -> list[date]:
    from alphamoe.data.universe import index_sessions

    try:
        return index_sessions(objects, "SSE")
    except DataError:
        return []


def _numbers(frame: pd.DataFrame) -> list[Finding]:
    findings = []
    values = frame[NUMBERS].apply(pd.to_numeric, errors="coerce")
    for i in np.flatnonzero(~(values["prev_close"] > 0).to_numpy()):
        row = frame.iloc[i]
        findings.append(
            Finding(str(row["symbol"]), row["date"], "missing_prev_close", f"prev close {row['prev_close']!r}")
        )
    others = [c for c in NUMBERS if c != "prev_close"]
    for i in np.flatnonzero(values[others].isna().any(axis=1).to_numpy()):
        row = frame.iloc[i]
        bad = ", ".join(c for c in others if pd.isna(values.at[values.index[i], c]))
        findings.append(Finding(str(row["symbol"]), row["date"], "not_a_number", f"{bad} not a number"))
    for i in np.flatnonzero(((values["volume"] < 0) | (values["amount"] < 0)).to_numpy()):
        row = frame.iloc[i]
        detail = f"volume {row['volume']} amount {row['amount']}: a vendor's placeholder, not a count"
        findings.append(Finding(str(row["symbol"]), row["date"], "negative_volume", detail))
    return findings


def _prev_close_steps(
    combined: pd.DataFrame, incoming: set[date], sessions: list[date], known: list[CorporateAction]
) -> list[Finding]:
    # consecutive bars of a stock: the exchange's previous close is the last close, but on an ex-rights day
    frame = combined.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    position = {d: i for i, d in enumerate(sessions)}
    at = frame["date"].map(position)
    same = frame["symbol"].eq(frame["symbol"].shift(1)) & at.sub(at.shift(1)).eq(1)
    last = to_fen(frame["close"].shift(1).fillna(0).to_numpy())
    prev = to_fen(frame["prev_close"].to_numpy())
    flags = name_flags(frame["name"].fillna("").astype(str))
    marked = (flags["ex_dividend"] | flags["ex_rights"] | flags["ex_both"]).to_numpy()
    explained = {(a.symbol, a.ex_date) for a in known}
    keys = list(zip(frame["symbol"], frame["date"], strict=True))
    step = prev - last
    suspect = same.to_numpy() & frame["date"].isin(incoming).to_numpy() & (np.abs(step) > 1)
    findings = []
    for i in np.flatnonzero(suspect):
        if keys[i] in explained or (step[i] < 0 and marked[i]):
            continue
        detail = (
            f"prev close {prev[i] / 100:.2f} ≠ the stored close {last[i] / 100:.2f} of the session before, "
            "and no corporate action explains it"
        )
        findings.append(Finding(str(keys[i][0]), keys[i][1], "prev_close", detail))
    return findings


def _coverage(objects: ObjectStore, frame: pd.DataFrame, sessions: list[date]) -> list[Finding]:
    # a day after the store's last session must bring most of the stocks that traded the session before
    findings = []
    before: set[str] | None = None
    if sessions:
        last = sessions[-1]
        before = set(BarStore(objects).frame(last, last, columns=["symbol"])["symbol"])
    for day in sorted(set(frame["date"])):
        symbols = set(frame.loc[frame["date"] == day, "symbol"])
        if sessions and day <= sessions[-1]:
            before = None
            continue
        if before:
            missing = before - symbols
            if len(missing) > (1 - MIN_COVERAGE) * len(before):
                detail = (
                    f"{len(symbols):,} stocks against {len(before):,} the session before "
                    f"({len(missing):,} missing, e.g. {', '.join(sorted(missing)[:3])}): a truncated file?"
                )
                findings.append(Finding("*", day, "incomplete_day", detail))
        before = symbols
    return findings


# -- the quarantine folder -------------------------------------------------------------------------------
def quarantine_day(objects: ObjectStore, day: date, bars: pd.DataFrame, findings: list[Finding], *, source: str) -> str:
    """Keep a failing day's bars and findings under quarantine/<day>/ (findings.json last); return the prefix."""
    from alphamoe.data.store_write import finding_dict

    prefix = f"{QUARANTINE}{day.isoformat()}/"
    table = pa.Table.from_pandas(bars.loc[:, list(BAR_COLUMNS)], schema=BAR_SCHEMA, preserve_index=False, safe=False)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    objects.put_bytes(prefix + "bars.parquet", sink.getvalue())
    note = {
        "day": day.isoformat(),
        "source": source,
        "rows": len(bars),
        "findings": [finding_dict(f) for f in findings],
    }
    objects.put_bytes(prefix + "findings.json", json.dumps(note, ensure_ascii=False, indent=1).encode("utf-8"))
    return prefix.rstrip("/")


def quarantined_days(objects: ObjectStore) -> list[QuarantinedDay]:
    """Return every quarantined day, oldest first."""
    out = []
    for key in objects.list(QUARANTINE):
        if key.endswith("/findings.json"):
            out.append(QuarantinedDay.model_validate(json.loads(objects.get_bytes(key))))
    return sorted(out, key=lambda q: q.day)


def quarantined_bars(objects: ObjectStore, day: date) -> pd.DataFrame:
    """Return the bars a quarantined day holds (BAR_COLUMNS)."""
    try:
        raw = objects.get_bytes(f"{QUARANTINE}{day.isoformat()}/bars.parquet")
    except ObjectNotFoundError:
        raise DataError(f"{day} is not quarantined in {objects.url} (`alphamoe data quarantine` lists them)") from None
    frame: pd.DataFrame = pq.read_table(pa.BufferReader(raw)).to_pandas()
    return frame


def release_quarantine(objects: ObjectStore, day: date) -> None:
    """Forget a quarantined day (after it was published); nothing happens when it is not quarantined."""
    for key in objects.list(f"{QUARANTINE}{day.isoformat()}/"):
        if not key.endswith("findings.json"):
            objects.delete(key)
    objects.delete(f"{QUARANTINE}{day.isoformat()}/findings.json")
