"""Quality report of a bar store: each finding names the symbol, the day and the rule it breaks.

Rules (`RULES`): OHLC consistency; a price outside the day's limit band (the listing-day and relisting
rules of rules.toml allow none); a session of the calendar with no bar at all, or a bar on a day that is no
session; a gap in one stock's bars whose resumption price does not continue from its last bar (a missing
row, not a suspension); duplicated days; zero volume on a bar (suspended days have no bar); stale names
(N after the listing day, an XD/XR/DR marker with no ex-rights step); volume units off by a lot (100×);
corporate actions that contradict the previous close, pay before their ex date or go ex on a non-session,
and the inferred ones (listed, not faulted).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphamoe.data.actions.model import CorporateAction, ex_rights_reference
from alphamoe.data.names import name_flags
from alphamoe.market.bands import BOARDS, NO_LIMIT_FEN, band_fen, board_codes, to_fen
from alphamoe.market.bars import BarStore
from alphamoe.market.boards import board_of
from alphamoe.market.rules import rulebook
from alphamoe.market.ticks import tick_size, to_price

RELISTING_GAP = 60  # sessions of suspension after which the first bar is taken as a relisting (no limit)
BAND_TOLERANCE_FEN = 1  # the exchanges' band rounding differed by a tick in the 1990s …
TOLERANCE_UNTIL = date(2000, 1, 1)  # … and is exact since

RULES = {
    "ohlc": "low ≤ open, close ≤ high and every price > 0",
    "band": "open, high, low and close inside the day's limit band from the exchange's previous close",
    "ex_rights_reference": "the whole bar below the band: prev close is the raw last close on an ex-rights day",
    "calendar_gap": "a trading session on which no stock of the store has a bar",
    "not_a_session": "a bar dated on a day that is not a trading session",
    "missing_bar": "a gap in a stock's bars after which the previous close is above the last bar's close (rows lost)",
    "duplicate_day": "one bar per stock and day",
    "zero_volume": "a bar with zero volume (a suspended day has no bar)",
    "stale_name": "N only on the listing day; XD/XR/DR only with an ex-rights step in the previous close",
    "volume_units": "amount ≈ volume × price (volume in shares, amount in CNY, not lots or thousands)",
    "action_prices": "a corporate action's ex-rights reference within a tick of the exchange's previous close",
    "action_pay_date": "a cash dividend paid on or after its ex date",
    "action_not_a_session": "a corporate action's ex date is a trading session",
    "action_inferred": "an action inferred from the previous close, not published (informational)",
}
INFORMATIONAL = frozenset({"action_inferred"})  # listed for the reader; never a fault (`data check --strict`)


@dataclass(frozen=True, order=True)
class Finding:
    symbol: str
    day: date
    rule: str
    detail: str


def check_bars(bars: pd.DataFrame, sessions: Iterable[date]) -> list[Finding]:
    """Return every finding in a long bar frame (BAR_COLUMNS), against `sessions` (the trading calendar)."""
    calendar = sorted(set(sessions))
    frame = bars.reset_index(drop=True)
    findings: list[Finding] = []
    findings += _duplicates(frame)
    frame = frame.drop_duplicates(["symbol", "date"]).sort_values(["symbol", "date"], kind="stable")
    frame = frame.reset_index(drop=True)
    flags = name_flags(frame["name"])
    same = frame["symbol"].eq(frame["symbol"].shift(1))
    gap = _gaps(frame, calendar, same)
    free = _unlimited(frame, flags, gap, same)
    findings += _ohlc(frame)
    findings += _band(frame, free)
    findings += _zero_volume(frame)
    findings += _calendar(frame, calendar)
    findings += _missing_bars(frame, gap, same)
    findings += _stale_names(frame, flags, gap, same)
    findings += _volume_units(frame)
    return sorted(findings)


def _rows(
    frame: pd.DataFrame, mask: pd.Series | np.ndarray, rule: str, detail: Callable[[pd.DataFrame], pd.Series] | str
) -> list[Finding]:
    hits = frame.loc[np.asarray(mask, dtype=bool)]
    if hits.empty:
        return []
    details = detail(hits) if callable(detail) else pd.Series(detail, index=hits.index)
    return [Finding(str(s), d, rule, str(t)) for s, d, t in zip(hits["symbol"], hits["date"], details, strict=True)]


def _money(column: pd.Series) -> pd.Series:
    return column.map("{:.2f}".format)


def _prices(frame: pd.DataFrame) -> pd.Series:
    return (
        "open " + _money(frame["open"]) + " high " + _money(frame["high"])
        + " low " + _money(frame["low"]) + " close " + _money(frame["close"])
    )  # fmt: skip


def _duplicates(frame: pd.DataFrame) -> list[Finding]:
    dup = frame.duplicated(["symbol", "date"], keep="first")
    return _rows(frame, dup, "duplicate_day", "a second bar for the same stock and day")


def _ohlc(frame: pd.DataFrame) -> list[Finding]:
    lo = np.minimum(frame["open"].to_numpy(), frame["close"].to_numpy())
    hi = np.maximum(frame["open"].to_numpy(), frame["close"].to_numpy())
    positive = (frame[["open", "high", "low", "close"]].to_numpy() > 0).all(axis=1)
    bad = (frame["low"].to_numpy() > lo) | (frame["high"].to_numpy() < hi) | ~positive
    return _rows(frame, bad, "ohlc", _prices)


def _gaps(frame: pd.DataFrame, calendar: list[date], same: pd.Series) -> npt.NDArray[np.int64]:
    # sessions of the calendar between a stock's bar and its previous one (0 = consecutive)
    position = pd.Series(np.arange(len(calendar), dtype=np.float64), index=pd.Index(calendar))
    at = position.reindex(frame["date"]).to_numpy()
    gap = at - np.concatenate([[np.nan], at[:-1]]) - 1
    return np.where(same.to_numpy() & np.isfinite(gap), gap, 0).astype(np.int64)


def _unlimited(
    frame: pd.DataFrame, flags: pd.DataFrame, gap: npt.NDArray[np.int64], same: pd.Series
) -> npt.NDArray[np.bool_]:
    """Return the bars that trade without a daily limit beyond the listing days rules.toml already frees.

    A relisting (恢复上市: the first bar after a suspension of more than RELISTING_GAP sessions, or an N
    name after the listing day) and the resumption day of the share reform (股改复牌: the first G name).
    """
    long_gap = gap > RELISTING_GAP
    relisted_n = flags["listing"].to_numpy() & (frame["listing_index"].to_numpy() > 0)
    g_name = frame["name"].str.contains(r"^(?:XD|XR|DR|N)*G", regex=True).to_numpy()
    first_g = g_name & ~np.concatenate([[False], g_name[:-1]]) & same.to_numpy()
    return np.asarray(long_gap | relisted_n | first_g)


def _band(frame: pd.DataFrame, free: npt.NDArray[np.bool_]) -> list[Finding]:
    if frame.empty:
        return []
    symbols = frame["symbol"].unique()
    by_symbol = dict(zip(symbols, board_codes([board_of(str(s)) for s in symbols]), strict=True))
    codes = frame["symbol"].map(by_symbol).to_numpy(dtype=np.int8)
    prev = to_fen(frame["prev_close"].to_numpy())
    st = frame["st"].to_numpy(dtype=bool)
    listing = frame["listing_index"].to_numpy()
    down = np.ones(len(frame), dtype=np.int64)
    up = np.full(len(frame), NO_LIMIT_FEN, dtype=np.int64)
    # band_fen reads the rule book for one day: group the days that share every board's rules
    book = rulebook()
    days = pd.Series(frame["date"].to_numpy())
    signature = {
        day: tuple(
            (book.limit_pct(b, day, st=f), book.no_limit_listing_days(b, day)) for b in BOARDS for f in (False, True)
        )
        for day in days.unique()
    }
    for _, rows in days.groupby(days.map(signature)).groups.items():
        idx = np.asarray(rows)
        d, u = band_fen(codes[idx], prev[idx], days[idx[0]], st[idx], listing[idx], free[idx])
        down[idx], up[idx] = d, u
    low, high = to_fen(frame["low"].to_numpy()), to_fen(frame["high"].to_numpy())
    limited = up < NO_LIMIT_FEN
    below = limited & (high < down)  # the whole day below the band: the prev close is not the ex-rights one
    slack = np.where(days.to_numpy() < TOLERANCE_UNTIL, BAND_TOLERANCE_FEN, 0)
    outside = limited & ~below & ((high > up + slack) | (low < down - slack))

    def detail(hits: pd.DataFrame) -> pd.Series:
        idx = hits.index.to_numpy()
        band = " outside [" + pd.Series(down[idx] / 100, index=hits.index).map("{:.2f}".format) + ", "
        band += pd.Series(up[idx] / 100, index=hits.index).map("{:.2f}".format) + "] from prev close "
        return hits["name"] + ": " + _prices(hits) + band + _money(hits["prev_close"])

    findings = _rows(frame, outside, "band", detail)
    findings += _rows(frame, below, "ex_rights_reference", detail)
    return findings


def _zero_volume(frame: pd.DataFrame) -> list[Finding]:
    return _rows(frame, frame["volume"] <= 0, "zero_volume", "volume 0 on a bar: a suspended day should have none")


def _calendar(frame: pd.DataFrame, calendar: list[date]) -> list[Finding]:
    traded = set(frame["date"])
    if not traded:
        return []
    first, last = min(traded), max(traded)
    findings = [
        Finding("*", day, "calendar_gap", "a trading session with no bar for any stock")
        for day in calendar
        if first <= day <= last and day not in traded
    ]
    known = set(calendar)
    off_days = {d for d in traded if d not in known}
    off = frame["date"].isin(off_days)
    return findings + _rows(frame, off, "not_a_session", "bar on a day that is not a trading session")


def _missing_bars(frame: pd.DataFrame, gap: npt.NDArray[np.int64], same: pd.Series) -> list[Finding]:
    # A suspension resumes from the last close, or below it after an ex-rights event during the suspension;
    # a reference price above the last close means the bars in between are missing.
    last_close = frame["close"].shift(1)
    bad = (gap > 0) & same.to_numpy() & ((frame["prev_close"] - last_close) > 0.005).to_numpy()

    def detail(hits: pd.DataFrame) -> pd.Series:
        return (
            "prev close " + _money(hits["prev_close"]) + " above the last bar's close "
            + _money(last_close[hits.index]) + " after " + pd.Series(gap[hits.index], index=hits.index).astype(str)
            + " sessions without a bar"
        )  # fmt: skip

    return _rows(frame, bad, "missing_bar", detail)


def _stale_names(
    frame: pd.DataFrame, flags: pd.DataFrame, gap: npt.NDArray[np.int64], same: pd.Series
) -> list[Finding]:
    last_close = frame["close"].shift(1)
    late_n = flags["listing"].to_numpy() & (frame["listing_index"].to_numpy() > 0) & (gap <= RELISTING_GAP)
    marked = (flags["ex_dividend"] | flags["ex_rights"] | flags["ex_both"]).to_numpy()
    no_step = marked & same.to_numpy() & ((frame["prev_close"] - last_close).abs() < 0.005).to_numpy()
    findings = _rows(frame, late_n, "stale_name", lambda h: "name " + h["name"] + " carries N after the listing day")
    return findings + _rows(
        frame,
        no_step & ~late_n,
        "stale_name",
        lambda h: "name " + h["name"] + " marks ex-rights, but prev close = last close",
    )


def _volume_units(frame: pd.DataFrame) -> list[Finding]:
    traded = frame[frame["volume"] > 0]
    ratio = (traded["amount"] / (traded["volume"] * traded["close"])).groupby(traded["symbol"]).median()
    findings = []
    for symbol, value in ratio.items():
        if not 0.5 <= value <= 2.0:
            day = traded.loc[traded["symbol"] == symbol, "date"].iloc[0]
            unit = "lots (×100)" if 50 <= value <= 200 else "thousand CNY" if value < 0.01 else "unknown units"
            findings.append(
                Finding(str(symbol), day, "volume_units", f"median amount / (volume × close) = {value:.3g}: {unit}")
            )
    return findings


def session_calendar(first: date, last: date, index_sessions: Iterable[date] = ()) -> list[date]:
    """Return the sessions first … last: exchange_calendars XSHG (pinned from `market.calendar.XSHG_START`,
    whatever today's date), and outside its coverage the sessions of an imported index (e.g. the SSE
    Composite, which has a bar on every session since 1990): the calendar every other module uses."""
    from alphamoe.market.calendar import TradingCalendar

    return TradingCalendar(index_sessions).sessions(first, last)


def check_store(store: BarStore, index_sessions: Iterable[date] = ()) -> list[Finding]:
    """Return the findings of every bar in `store` against the trading calendar."""
    bars = store.frame()
    if bars.empty:
        return []
    calendar = session_calendar(bars["date"].min(), bars["date"].max(), index_sessions)
    return check_bars(bars, calendar) + check_actions(store.actions(), bars, calendar)


def check_actions(actions: Iterable[CorporateAction], bars: pd.DataFrame, sessions: Iterable[date]) -> list[Finding]:
    """Return the findings of corporate actions against the bars (BAR_COLUMNS) and the trading calendar.

    The actions a stock's bar absorbs (its own ex date, or every one since its last bar after a suspension)
    must take the last close to the exchange's previous close within a tick; a stock without bars around
    an ex date, or an ex date outside the calendar's span, is not judged.
    """
    calendar = sorted(set(sessions))
    known = set(calendar)
    actions = list(actions)
    judged = bars[bars["symbol"].isin({a.symbol for a in actions})]  # only stocks with an action: a day's gate
    history = {
        str(symbol): (rows["date"].to_list(), rows["close"].to_numpy(), rows["prev_close"].to_numpy())
        for symbol, rows in judged.sort_values(["symbol", "date"]).groupby("symbol", sort=False)
    }
    findings: list[Finding] = []
    absorbed: dict[tuple[str, int], list[CorporateAction]] = {}
    for action in sorted(actions, key=lambda a: (a.symbol, a.ex_date)):
        if action.inferred:
            findings.append(Finding(action.symbol, action.ex_date, "action_inferred", _action_text(action)))
        if action.pay_date is not None and action.pay_date < action.ex_date:
            detail = f"{_action_text(action)} paid {action.pay_date} before its ex date"
            findings.append(Finding(action.symbol, action.ex_date, "action_pay_date", detail))
        if calendar and calendar[0] <= action.ex_date <= calendar[-1] and action.ex_date not in known:
            detail = f"{_action_text(action)}: {action.ex_date} is not a trading session"
            findings.append(Finding(action.symbol, action.ex_date, "action_not_a_session", detail))
        days = history.get(action.symbol, ([], None, None))[0]
        at = bisect.bisect_left(days, action.ex_date)
        if 0 < at < len(days):  # a bar on or after the ex date, and one before it
            absorbed.setdefault((action.symbol, at), []).append(action)
    for (symbol, at), group in absorbed.items():
        days, close, prev = history[symbol]
        last, exchange = to_price(float(close[at - 1])), to_price(float(prev[at]))
        implied = last
        for ex_date in sorted({a.ex_date for a in group}):  # the exchange publishes one reference per ex date
            implied = ex_rights_reference(implied, [a for a in group if a.ex_date == ex_date])
        if abs(implied - exchange) > tick_size():
            detail = (
                f"{'; '.join(_action_text(a) for a in group)}: reference {implied} from close {last}, "
                f"exchange's previous close {exchange} on {days[at]}"
            )
            findings.append(Finding(symbol, group[0].ex_date, "action_prices", detail))
    return sorted(findings)


def _action_text(action: CorporateAction) -> str:
    amounts = {"cash": action.cash, "shares": action.shares, "rights": action.rights_ratio, "at": action.rights_price}
    text = " ".join(f"{k} {v}" for k, v in amounts.items() if v is not None)
    return f"{action.kind.value} {text} ({action.source})"
