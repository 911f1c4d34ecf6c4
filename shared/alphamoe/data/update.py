"""Bring a bar store up to the last closed session from a vendor, one session at a time, through the quality gate.

Each session is fetched whole (`MarketSource.fetch_day`), numbered against the store (`listing_index`, and the
stock's last stored name where the vendor has none), then handed to the gate (`admit_days`): a day that passes
is appended with its corporate actions and index bars; a day that fails is quarantined with every finding
and the update stops there, so no later day is published over a hole. `update/state.json` in the store
records the days done and the days quarantined, so a backfill that stopped (vendor outage, quarantine,
Ctrl-C) continues where it stopped. Pacing and retries live in the vendor clients.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.actions.store import read_actions, write_actions
from alphamoe.data.feeds.akshare import AkshareSource, EastmoneyClient
from alphamoe.data.feeds.baostock import BaostockSource
from alphamoe.data.feeds.baostock_client import BaostockClient
from alphamoe.data.feeds.config import DataSourceSettings
from alphamoe.data.feeds.files import FilesSource
from alphamoe.data.feeds.pacing import RateLimiter, Retry, Sleep
from alphamoe.data.feeds.protocol import DayBatch, MarketSource
from alphamoe.data.feeds.tdx import ActionsOn, TdxSource
from alphamoe.data.feeds.tushare import TushareClient
from alphamoe.data.feeds.tushare_market import TushareSource
from alphamoe.data.names import carried_name
from alphamoe.data.quality import Finding
from alphamoe.data.quarantine import quarantine_day
from alphamoe.data.store_write import admit_days, finding_dict, last_bars, stored_years
from alphamoe.data.universe import append_index_bars
from alphamoe.errors import ConfigurationError, DataError
from alphamoe.market.bars import BarStore, has_bar_store
from alphamoe.market.calendar import TradingCalendar
from alphamoe.storage import ObjectNotFoundError, ObjectStore, S3Location, S3Settings, open_store

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSE = clock_time(15, 0)
STATE_KEY = "update/state.json"
Progress = Callable[[int, int], None]
Root = Path | str | S3Location | ObjectStore


class UpdateReport(BaseModel):
    """What one `update_store` did: the days it tried, published, quarantined (with findings) and skipped."""

    model_config = ConfigDict(frozen=True)

    source: str
    target: date
    days: list[date] = Field(description="sessions the update tried, in order")
    admitted: list[date]
    quarantined: dict[date, list[dict[str, Any]]]
    skipped: list[date] = Field(description="sessions already done (state or store): not fetched again")
    seconds: float
    rows: int = Field(0, description="bars published")
    actions: int = Field(0, description="corporate actions published")
    notes: list[str] = Field(default_factory=list, description="what a source could not provide")


def last_closed_session(now: datetime, calendar: TradingCalendar | None = None) -> date:
    """Return the last session whose close has passed at `now` (Asia/Shanghai; a naive `now` is taken as it)."""
    local = now.astimezone(SHANGHAI) if now.tzinfo is not None else now
    today = local.date()
    calendar = calendar or TradingCalendar()
    if calendar.is_session(today) and local.time() >= CLOSE:
        return today
    previous = calendar.previous_session(today)
    if previous is None:
        raise DataError(f"no session before {today} in the calendar")
    return previous


def open_source(
    name: str, settings: DataSourceSettings, *, actions_on: ActionsOn | None = None, sleep: Sleep = time.sleep
) -> MarketSource:
    """Return the vendor `name` (tushare, akshare, baostock, tdx, files) configured by `settings`.

    `actions_on` gives TDX and akshare's klines the corporate actions of a day (they carry no previous close).
    """
    limiter = RateLimiter(settings.calls_per_minute, sleep=sleep)
    retry = Retry(settings.retries, settings.backoff_s, settings.max_backoff_s, sleep=sleep)
    if name == "tushare":
        token = settings.token.get_secret_value() if settings.token is not None else ""
        client = TushareClient(
            token, base_url=settings.base_url, limiter=limiter, retry=retry, timeout_s=settings.timeout_s
        )
        return TushareSource(client, indices=settings.indices)
    if name == "akshare":
        return AkshareSource(
            EastmoneyClient(limiter=limiter, retry=retry, timeout_s=settings.timeout_s),
            spot_url=settings.eastmoney_spot_url,
            kline_url=settings.eastmoney_kline_url,
            dividend_url=settings.eastmoney_dividend_url,
            indices=settings.indices,
            actions_on=actions_on,
        )
    if name == "baostock":
        tcp = BaostockClient(
            settings.baostock_host,
            settings.baostock_port,
            user=settings.baostock_user,
            password=settings.baostock_password.get_secret_value(),
            limiter=limiter,
            retry=retry,
            timeout_s=settings.timeout_s,
        )
        return BaostockSource(tcp, indices=settings.indices)
    if name == "tdx":
        if settings.tdx_dir is None:
            raise ConfigurationError("source tdx needs ALPHAMOE_DATA_SOURCE__TDX_DIR (a TDX install or its vipdoc)")
        return TdxSource(settings.tdx_dir, actions_on=actions_on)
    if name == "files":
        if settings.files_dir is None:
            raise ConfigurationError("source files needs ALPHAMOE_DATA_SOURCE__FILES_DIR (a folder of daily CSVs)")
        return FilesSource(settings.files_format, settings.files_dir)
    raise ConfigurationError(f"unknown data source {name!r} (known: tushare, akshare, baostock, tdx, files)")


def read_state(objects: ObjectStore) -> dict[str, Any]:
    """Return the store's update state (`done`: ISO days published, `quarantined`: day → findings)."""
    try:
        state: dict[str, Any] = json.loads(objects.get_bytes(STATE_KEY))
    except ObjectNotFoundError:
        return {"done": [], "quarantined": {}}
    return state


def _save_state(objects: ObjectStore, state: dict[str, Any]) -> None:
    objects.put_bytes(STATE_KEY, json.dumps(state, indent=1, ensure_ascii=False).encode("utf-8"))


def update_store(
    root: Root,
    source: MarketSource,
    *,
    day: date | None = None,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
    s3: S3Settings | None = None,
    progress: Progress | None = None,
) -> UpdateReport:
    """Publish the sessions of `source` the store lacks, up to `until` (default: the last closed session at `now`).

    `day`: exactly that session (fetched again even when done). `since`: every session from it (a backfill;
    days done are skipped). Neither: the sessions after the store's last one.
    """
    started = time.perf_counter()
    objects = open_store(root, s3=s3)
    calendar = TradingCalendar()
    target = until or day or last_closed_session(now or datetime.now(SHANGHAI), calendar)
    state = read_state(objects)
    done = set(state.get("done", []))
    stored = BarStore(objects).sessions() if has_bar_store(objects) else []
    if day is not None:
        calendar.require_session(day)
        wanted, skipped = [day], []
    else:
        first = since or (calendar.next_session(stored[-1]) if stored else None)
        if first is None:
            raise DataError(f"{objects.url} holds no bars: give --since (the first session to fetch) or --date")
        sessions = [d for d in source.sessions(first, target) if calendar.is_session(d)] if first <= target else []
        have = done | {d.isoformat() for d in stored}
        wanted = [d for d in sessions if d.isoformat() not in have]
        skipped = [d for d in sessions if d.isoformat() in have]
    admitted: list[date] = []
    quarantined: dict[date, list[dict[str, Any]]] = {}
    tried: list[date] = []
    rows = actions = 0
    notes: list[str] = []
    for i, session in enumerate(wanted):
        tried.append(session)
        batch = source.fetch_day(session)
        notes.extend(n for n in batch.notes if n not in notes)
        bars = with_stored_names(objects, batch)
        if batch.problems:  # the source's own faults (a truncated file): no rule on the bars can see them
            findings = [Finding("*", session, "source", problem) for problem in batch.problems]
            quarantine_day(objects, session, bars, findings, source=source.name)
            quarantined[session] = [finding_dict(f) for f in findings]
        else:
            fresh = _unstored(objects, batch.actions)
            gate = admit_days(objects, bars, source=source.name, instruments=batch.instruments, actions=fresh)
            quarantined.update(gate.quarantined)
        if session in quarantined:
            state.setdefault("quarantined", {})[session.isoformat()] = quarantined[session]
            _save_state(objects, state)
            break
        _publish_extras(objects, batch)
        admitted.append(session)
        rows += len(bars)
        actions += len(batch.actions)
        state.setdefault("quarantined", {}).pop(session.isoformat(), None)
        state["done"] = sorted({*state.get("done", []), session.isoformat()})
        state["source"] = source.name
        _save_state(objects, state)
        if progress is not None:
            progress(i + 1, len(wanted))
    return UpdateReport(
        source=source.name,
        target=target,
        days=tried,
        admitted=admitted,
        quarantined=quarantined,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        rows=rows,
        actions=actions,
        notes=notes,
    )


def _unstored(objects: ObjectStore, actions: list[CorporateAction]) -> list[CorporateAction]:
    # the gate counts stored actions and the ones passed: an action the store holds already must not count twice
    if not actions:
        return []
    stored = {_action_key(a) for a in read_actions(objects)}
    return [a for a in actions if _action_key(a) not in stored]


def _action_key(action: CorporateAction) -> tuple[object, ...]:
    return (action.symbol, action.kind, action.ex_date, action.cash, action.shares, action.rights_ratio,
            action.rights_price)  # fmt: skip


def _publish_extras(objects: ObjectStore, batch: DayBatch) -> None:
    # what travels with an admitted day: its corporate actions and the benchmark indices' bars
    if batch.actions:
        write_actions(objects, batch.actions)
    if batch.index_bars is not None:
        for code, part in batch.index_bars.groupby("code", sort=True):
            append_index_bars(objects, str(code), part)


def with_stored_names(objects: ObjectStore, batch: DayBatch) -> pd.DataFrame:
    """Return the batch's bars with each unnamed stock's last stored name and ST flag (TDX files have none).

    The stored name drops its one-day markers (XD/XR/DR/N: yesterday's ex date is not today's). A stock the
    store has never held takes the vendor's instrument name when there is one. `listing_index` starts at 0:
    the store counts it on from each stored stock's last bar (`append_bars`).
    """
    bars = batch.bars.assign(listing_index=np.int32(0))
    unnamed = bars["name"].astype(str).str.strip() == ""
    if not unnamed.any():
        return bars
    symbols = bars.loc[unnamed, "symbol"]
    stored = last_bars(objects, batch.day, set(symbols)).set_index("symbol") if stored_years(objects) else None
    names = pd.Series(None, index=symbols.index, dtype=object)
    st = pd.Series(False, index=symbols.index, dtype=bool)
    if stored is not None and not stored.empty:
        names = symbols.map(stored["name"].map(carried_name))
        st = symbols.map(stored["st"]).fillna(False).astype(bool)
    if batch.instruments is not None:
        names = names.fillna(symbols.map(batch.instruments.set_index("symbol")["name"]))
    bars.loc[unnamed, "name"] = names.fillna("").astype(str)
    bars.loc[unnamed, "st"] = st
    return bars
