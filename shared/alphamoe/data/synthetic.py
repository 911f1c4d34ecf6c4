"""Deterministic synthetic A-share market: the embedded default data (DESIGN.md §10).

Every board in realistic proportions, prices from market + industry + idiosyncratic factors with fat tails
and trending regimes, all on the 0.01 tick and inside each day's limit band (computed in integer fen with
`alphamoe.market.bands`, the vectorised `limit_prices`). It also produces what real data has and a naive
generator forgets: limit-locked days, ST/*ST names that come and go, suspensions, IPOs with N/C names and
unlimited first days, delistings (`XX退`, no rows after `delist_date`), and ex-rights days (XD/XR/DR)
whose `prev_close` is the exchange's ex-rights reference, below the previous close. `write_market` stores
the terms of those ex-rights days beside the bars as corporate actions (`synthetic_actions`), so a backtest on
the synthetic store carries holdings over them as it does on real data.

Same arguments, same frames: one `numpy.random.Generator` seeded once, drawn in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphamoe.data.actions.model import ActionKind, CorporateAction
from alphamoe.data.actions.store import write_actions
from alphamoe.errors import DataError
from alphamoe.market.bands import BOARDS, band_fen, from_fen
from alphamoe.market.bars import BAR_COLUMNS, BarStore
from alphamoe.market.boards import board_of
from alphamoe.market.calendar import TradingCalendar
from alphamoe.market.rules import rulebook
from alphamoe.types import Board

GENERATOR = "alphamoe.data.synthetic"
VERSION = 1
DEFAULT_SYMBOLS = 5500
DEFAULT_START = date(2025, 1, 2)
DEFAULT_END = date(2026, 6, 30)
DEFAULT_SEED = 7
Progress = Callable[[int, int], None]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# (code prefix, exchange, share of all listed stocks): close to the 2025 mix of ~5,400 A-shares.
PREFIXES: tuple[tuple[str, str, float], ...] = (
    ("600", "SH", 0.135),
    ("601", "SH", 0.045),
    ("603", "SH", 0.110),
    ("605", "SH", 0.020),
    ("688", "SH", 0.105),
    ("000", "SZ", 0.080),
    ("001", "SZ", 0.015),
    ("002", "SZ", 0.170),
    ("003", "SZ", 0.010),
    ("300", "SZ", 0.175),
    ("301", "SZ", 0.080),
    ("43", "BJ", 0.005),
    ("83", "BJ", 0.025),
    ("87", "BJ", 0.020),
    ("92", "BJ", 0.005),
)
# Shenwan level-1 style industries, weighted roughly by how many listed companies each has, with the
# endings their short names often take.
INDUSTRIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("电子", 0.085, ("电子", "微电", "光电", "半导")),
    ("机械设备", 0.085, ("机械", "重工", "精工", "装备")),
    ("医药生物", 0.080, ("医药", "药业", "生物", "制药")),
    ("基础化工", 0.075, ("化工", "化学", "新材", "材料")),
    ("计算机", 0.065, ("科技", "软件", "信息", "数据")),
    ("电力设备", 0.065, ("电气", "能源", "新能", "电力")),
    ("汽车", 0.050, ("汽车", "汽配", "车业", "动力")),
    ("国防军工", 0.025, ("航天", "航空", "防务", "军工")),
    ("有色金属", 0.025, ("矿业", "铝业", "锂业", "资源")),
    ("通信", 0.025, ("通信", "网络", "通讯", "光通")),
    ("传媒", 0.025, ("传媒", "文化", "影视", "互娱")),
    ("建筑装饰", 0.030, ("建工", "建设", "装饰", "设计")),
    ("环保", 0.025, ("环保", "环境", "水务", "生态")),
    ("轻工制造", 0.030, ("家居", "纸业", "包装", "文具")),
    ("食品饮料", 0.025, ("食品", "酒业", "乳业", "饮品")),
    ("家用电器", 0.020, ("电器", "家电", "厨电", "照明")),
    ("农林牧渔", 0.020, ("农业", "牧业", "种业", "渔业")),
    ("交通运输", 0.025, ("物流", "航运", "高速", "港务")),
    ("公用事业", 0.025, ("电力", "燃气", "热电", "水电")),
    ("房地产", 0.020, ("地产", "置业", "城建", "发展")),
    ("非银金融", 0.020, ("证券", "信托", "保险", "金控")),
    ("银行", 0.008, ("银行", "农商", "商行", "银行")),
    ("纺织服饰", 0.020, ("纺织", "服饰", "时装", "家纺")),
    ("商贸零售", 0.020, ("商业", "百货", "商贸", "股份")),
    ("建筑材料", 0.015, ("建材", "水泥", "玻璃", "管业")),
    ("钢铁", 0.009, ("钢铁", "特钢", "钢管", "股份")),
    ("煤炭", 0.007, ("煤业", "能源", "焦化", "股份")),
    ("石油石化", 0.008, ("石化", "油服", "石油", "股份")),
    ("社会服务", 0.012, ("旅游", "教育", "酒店", "股份")),
    ("美容护理", 0.006, ("美妆", "护理", "健康", "股份")),
)
_NAME_HEADS = tuple("华中东海金天新长江恒宏国远鑫盛博联永安通泰瑞康德信元广大正兴嘉北南西汇科达同力明凯星光万宝亚创")
_NAME_MIDS = tuple("信源泰丰华润锦诚伟阳辰鸿宇航凯汇邦利森威普昊旭腾达祥明合盈优")
_EVENT_PREFIX = ("", "N", "C", "XD", "XR", "DR")
_ST_LABEL = ("", "ST", "*ST")
_DELISTING_DAYS = 15  # 退市整理期: fifteen sessions with the 退 name before the last one
_LOCK_GAP = 0.02  # fair value this far beyond a limit seals the board for the whole day (一字板)


@dataclass(frozen=True)
class _Universe:
    symbols: npt.NDArray[np.object_]
    codes: npt.NDArray[np.int8]  # index into bands.BOARDS
    industry: npt.NDArray[np.int64]
    base_names: list[str]
    list_day: I64  # session index of the listing day; < 0 for stocks listed before the window
    listing_index0: I64  # own trading days before the window (0 for IPOs inside it)
    last_day: I64  # last session index with a bar (delisting), or D - 1
    issue_fen: I64  # IPO price for stocks listed inside the window, else 0


@dataclass(frozen=True)
class _Schedule:
    listed: Bools  # (D, N)
    suspended: Bools
    st: Bools
    st_label: npt.NDArray[np.int8]  # 1 ST, 2 *ST (used where st)
    delisting: Bools  # in the 退市整理期
    dividend: F64  # (D, N) cash dividend on ex days, as a fraction of the previous close
    bonus: F64  # (D, N) bonus/transfer shares per share on ex days


def _allocate(n: int, weights: list[float], caps: list[int]) -> list[int]:
    # Largest-remainder split of n by weights, spilling past a prefix's capacity onto the roomiest ones.
    raw = np.array(weights) / sum(weights) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    for i in range(len(counts)):
        while counts[i] > caps[i]:
            j = int(np.argmax(np.array(caps) - counts))
            if caps[j] <= counts[j]:
                raise DataError(f"cannot draw {n} distinct stock codes from the A-share code prefixes")
            counts[i] -= 1
            counts[j] += 1
    return [int(c) for c in counts]


def _symbols(rng: np.random.Generator, n: int) -> list[str]:
    caps = [10 ** (6 - len(p)) - (1 if p == "000" else 0) for p, _, _ in PREFIXES]
    counts = _allocate(n, [w for _, _, w in PREFIXES], caps)
    out: list[str] = []
    for (prefix, exchange, _), count in zip(PREFIXES, counts, strict=True):
        width = 6 - len(prefix)
        low = 1 if prefix == "000" else 0
        for number in rng.choice(np.arange(low, 10**width), size=count, replace=False):
            out.append(f"{prefix}{int(number):0{width}d}.{exchange}")
    return sorted(out)  # stock index order is symbol order, so each day's rows come out sorted


def _names(rng: np.random.Generator, industry: I64) -> list[str]:
    # Four-character short names, ending as names in the stock's industry often do; unique while possible.
    seen: set[str] = set()
    out: list[str] = []
    for ind in industry:
        tails = INDUSTRIES[int(ind)][2]
        for attempt in range(50):
            name = f"{rng.choice(_NAME_HEADS)}{rng.choice(_NAME_MIDS)}{tails[int(rng.integers(len(tails)))]}"
            if name not in seen or attempt == 49:
                break
        seen.add(name)
        out.append(name)
    return out


def _pick(rng: np.random.Generator, pool: I64, count: int) -> I64:
    count = min(count, len(pool))
    return np.sort(rng.choice(pool, size=count, replace=False)) if count else np.zeros(0, dtype=np.int64)


def _weighted_days(rng: np.random.Generator, weights: F64, count: int) -> I64:
    return rng.choice(len(weights), size=count, p=weights / weights.sum())


def _universe(rng: np.random.Generator, n: int, sessions: list[date]) -> _Universe:
    d_count = len(sessions)
    symbols = _symbols(rng, n)
    boards = [board_of(s) for s in symbols]
    codes = np.array([BOARDS.index(b) for b in boards], dtype=np.int8)
    weights = np.array([w for _, w, _ in INDUSTRIES])
    industry = rng.choice(len(INDUSTRIES), size=n, p=weights / weights.sum()).astype(np.int64)
    names = _names(rng, industry)

    # IPOs inside the window: ~1.5% of the market a year; at least a main-board, a 20%-board and a BSE one.
    n_ipo = min(max(3, round(0.015 * n * d_count / 243)), n // 4)
    by_board = {b: np.flatnonzero(codes == BOARDS.index(b)) for b in BOARDS}
    first = [rng.choice(by_board[b]) for b in (Board.MAIN, Board.CHINEXT, Board.BSE) if len(by_board[b])]
    rest = rng.permutation(np.setdiff1d(np.arange(n), first))[: max(0, n_ipo - len(first))]
    ipo = np.sort(np.concatenate([np.array(first, dtype=np.int64), rest]).astype(np.int64))
    last_ipo_day = max(1, d_count - 6) if d_count >= 8 else d_count
    list_day = np.full(n, -1, dtype=np.int64)
    list_day[ipo] = rng.integers(min(1, last_ipo_day - 1), last_ipo_day, size=len(ipo))

    # Stocks listed before the window: own trading days since listing, bounded by the board's opening.
    board_open = {Board.MAIN: date(1990, 12, 19), Board.STAR: date(2019, 7, 22)}
    board_open |= {Board.CHINEXT: date(2009, 10, 30), Board.BSE: date(2021, 11, 15)}
    max_days = np.array([max(6, int((sessions[0] - board_open[b]).days * 243 / 365)) for b in boards])
    age = 6 + (max_days - 6) * rng.beta(1.1, 1.6, n)
    listing_index0 = np.where(list_day < 0, age.astype(np.int64), 0)
    issue_fen = np.where(list_day >= 0, np.rint(np.exp(rng.normal(np.log(18), 0.5, n)) * 100), 0)

    # Delistings: a few, all *ST first, the last session at least 25 sessions into the window.
    n_delist = max(1, round(0.002 * n * d_count / 243))
    old = np.flatnonzero(list_day < 0)
    delisted = _pick(rng, old, n_delist)
    last_day = np.full(n, d_count - 1, dtype=np.int64)
    if d_count > 2:
        last_day[delisted] = rng.integers(min(d_count - 1, 25), d_count, size=len(delisted))
    return _Universe(
        symbols=np.array(symbols, dtype=object),
        codes=codes,
        industry=industry,
        base_names=names,
        list_day=list_day,
        listing_index0=listing_index0.astype(np.int64),
        last_day=last_day,
        issue_fen=issue_fen.astype(np.int64),
    )


def _schedule(rng: np.random.Generator, u: _Universe, sessions: list[date]) -> _Schedule:
    d_count, n = len(sessions), len(u.symbols)
    days = np.arange(d_count)[:, None]
    listed = (days >= u.list_day[None, :]) & (days <= u.last_day[None, :])
    delisted = np.flatnonzero(u.last_day < d_count - 1)
    delisting = np.zeros((d_count, n), dtype=bool)
    for i in delisted:
        start = max(0, int(u.last_day[i]) - min(_DELISTING_DAYS, int(u.last_day[i]) // 3))
        delisting[start : u.last_day[i] + 1, i] = True
    free = max(r.days for r in rulebook().no_limit_days)
    ipo = (u.list_day >= 0)[None, :]
    young = ipo & (days >= u.list_day[None, :]) & (days < u.list_day[None, :] + free)
    seasoned = listed & ~young & ~delisting

    # Risk warnings: ~3.3% at the start (mostly main board, all future delistings), some gained
    # around the annual reports (late April) and some removed during the window.
    scale = d_count / 243
    old = np.flatnonzero(u.list_day < 0)
    not_bse = old[u.codes[old] != BOARDS.index(Board.BSE)]
    st0 = np.union1d(_pick(rng, np.setdiff1d(not_bse, delisted), max(0, round(0.033 * n) - len(delisted))), delisted)
    st = np.zeros((d_count, n), dtype=bool)
    st[:, st0] = True
    season = np.array([6.0 if (s.month, s.day) >= (4, 28) and (s.month, s.day) <= (5, 10) else 1.0 for s in sessions])
    healthy = np.setdiff1d(not_bse, st0)
    gain = _pick(rng, healthy, max(1, round(0.012 * n * scale)))
    for i, d in zip(gain, _weighted_days(rng, season, len(gain)), strict=True):
        st[d:, i] = True
    lose = _pick(rng, np.setdiff1d(st0, delisted), max(1, round(0.01 * n * scale)))
    for i, d in zip(lose, rng.integers(0, d_count, size=len(lose)), strict=True):
        st[d:, i] = False
    st &= ~delisting  # the 退 name replaces the ST label in the delisting period
    st_label = np.where(rng.random(n) < 0.6, 2, 1).astype(np.int8)

    # Suspensions: ~0.3% of stocks a day, mostly 1-3 sessions, some restructurings of weeks.
    suspended = np.zeros((d_count, n), dtype=bool)
    n_susp = max(3, round(0.003 * n * d_count / 3.5))
    lengths = np.where(rng.random(n_susp) < 0.1, rng.integers(8, 40, n_susp), rng.geometric(0.45, n_susp))
    starts, who = rng.integers(0, d_count, n_susp), rng.integers(0, n, n_susp)
    for i, d, length in zip(who, starts, lengths, strict=True):
        suspended[d : d + length, i] = True
    suspended &= seasoned
    suspended[u.last_day, np.arange(n)] = False  # a delisting stock trades its last session

    # Ex-rights days on seasoned, non-ST trading days; dividends cluster in May to July.
    # The first three events are one XD, one XR and one DR, so every kind occurs in a small market.
    month_weight = np.array([4.0 if s.month in (5, 6, 7) else 1.0 for s in sessions])
    n_ex = max(6, round(0.6 * n * scale))
    dividend = np.zeros((d_count, n))
    bonus = np.zeros((d_count, n))
    ok = seasoned & ~suspended & ~st
    tries = 3 * n_ex
    day_pick, stock_pick = _weighted_days(rng, month_weight, tries), rng.integers(0, n, tries)
    kind = np.concatenate([[0.5, 0.88, 0.95], rng.random(tries)])
    pct, ratio = rng.uniform(0.003, 0.04, tries), rng.choice([0.2, 0.3, 0.4, 0.5, 1.0], tries)
    taken = 0
    for d, i, p, r in zip(day_pick, stock_pick, pct, ratio, strict=True):
        if taken == n_ex or not ok[d, i]:
            continue
        dividend[d, i] = p if kind[taken] < 0.85 or kind[taken] >= 0.92 else 0.0  # XD, DR
        bonus[d, i] = r if kind[taken] >= 0.85 else 0.0  # XR, DR
        ok[d, i] = False
        taken += 1
    return _Schedule(listed, suspended, st, st_label, delisting, dividend, bonus)


@dataclass
class _State:
    value: F64  # latent fair value, CNY, ex-rights adjusted like the price: where the price wants to be
    prev: I64  # the exchange's previous close in fen (ex-rights reference on ex days)
    own_days: I64  # listing_index of the stock's next bar
    float_shares: F64
    regime: npt.NDArray[np.int8]  # trend regime: -1 down, 0 none, +1 up


def _markov(rng: np.random.Generator, state: npt.NDArray[np.int8], up: float, down: float, stop: float) -> None:
    u = rng.random(state.shape)
    idle = state == 0
    state[idle & (u < up)] = 1
    state[idle & (u >= up) & (u < up + down)] = -1
    state[~idle & (u < stop)] = 0


def _t(rng: np.random.Generator, df: float, size: int) -> F64:
    # Student-t scaled to unit variance: fat tails at the same volatility.
    out: F64 = rng.standard_t(df, size) / np.sqrt(df / (df - 2))
    return out


@dataclass(frozen=True)
class ExRights:
    """The terms of one synthetic ex-rights day: CNY per share (3 decimals) and new shares per share."""

    day: int  # session index
    stock: int
    cash: float
    shares: float


def _ex_rights(day: int, sched: _Schedule, state: _State, traded: Bools, terms: list[ExRights]) -> Bools:
    # Apply the day's dividends and bonus shares: prev_close becomes the exchange's ex-rights reference
    # (previous close - cash) / (1 + bonus), half up to the fen; the fair value moves by the same factor.
    # The terms of each ex day are appended to `terms` (no draw: the frames are the same with or without).
    event: Bools = traded & ((sched.dividend[day] > 0) | (sched.bonus[day] > 0))
    if not event.any():
        return event
    close = state.prev[event] / 100
    dividend, bonus = sched.dividend[day][event], sched.bonus[day][event]
    cash = np.where(dividend > 0, np.maximum(np.round(close * dividend, 3), 0.001), 0.0)
    ref = np.maximum(np.floor((close - cash) / (1 + bonus) * 100 + 0.5), 1).astype(np.int64)
    moved = ref < state.prev[event]  # a penny dividend on a low price can round away: then no ex day
    stocks = np.flatnonzero(event)[moved]
    terms.extend(
        ExRights(day, i, c, b)
        for i, c, b in zip(stocks.tolist(), cash[moved].tolist(), bonus[moved].tolist(), strict=True)
    )
    event[event] = moved
    state.value[event] *= ref[moved] / state.prev[event]
    state.prev[event] = ref[moved]
    state.float_shares[event] *= 1 + bonus[moved]
    return event


def _bars(rng: np.random.Generator, state: _State, down: I64, up: I64, sigma: F64) -> tuple[I64, I64, I64, I64]:
    # Close where the fair value is, held inside the band; far beyond a limit the board is sealed all day.
    n = len(sigma)
    fair = state.value * 100
    close = np.clip(np.rint(fair), down, up).astype(np.int64)
    sealed = (fair >= up * (1 + _LOCK_GAP)) | (fair <= down * (1 - _LOCK_GAP))
    move = np.log(close / state.prev)
    gap = 0.4 * move + rng.normal(0.0, 0.3, n) * sigma
    open_ = np.clip(np.rint(state.prev * np.exp(gap)), down, up).astype(np.int64)
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = np.clip(np.ceil(top * np.exp(np.abs(rng.normal(0.0, 0.6, n)) * sigma)), top, up).astype(np.int64)
    low = np.clip(np.floor(bottom * np.exp(-np.abs(rng.normal(0.0, 0.6, n)) * sigma)), down, bottom).astype(np.int64)
    open_, high, low = (np.where(sealed, close, x) for x in (open_, high, low))
    return open_, high, low, close


def _volume(
    rng: np.random.Generator,
    state: _State,
    bar: tuple[I64, I64, I64, I64],
    turnover: F64,
    lot: I64,
    first_day: Bools,
    young: Bools,
) -> tuple[F64, F64]:
    # Shares from turnover of the float (busier on big moves and new listings, thin on sealed boards),
    # in board lots where the board trades in lots; amount = shares x a price inside the day's range.
    _, high, low, close = bar
    n = len(turnover)
    move = np.abs(np.log(close / state.prev))
    rate = turnover * np.exp(rng.normal(0.0, 0.4, n)) * (1 + 20 * move)
    rate = np.where(high == low, rate * 0.12, rate)
    rate = np.where(young, np.minimum(rate * 8, 0.5), rate)
    rate = np.where(first_day, rng.uniform(0.5, 0.85, n), rate)
    shares = np.maximum(np.rint(state.float_shares * rate / lot) * lot, lot).astype(np.float64)
    vwap = (low + (high - low) * rng.beta(2.0, 2.0, n)) / 100
    amount = np.round(shares * vwap, 2)
    return shares, amount


def generate_market(
    symbols: int, start: date, end: date, seed: int, *, progress: Progress | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (bars, instruments) of a synthetic A-share market with `symbols` stocks over start..end.

    Bars have BAR_COLUMNS, one row per traded (session, stock), sorted by (date, symbol); instruments
    have the INSTRUMENT_SCHEMA columns. Same arguments, identical frames.
    """
    sessions = TradingCalendar().sessions(start, end)
    if not sessions:
        raise DataError(f"no A-share sessions between {start} and {end}")
    if symbols < 10:
        raise DataError(f"a synthetic market needs at least 10 symbols, was {symbols}")
    bars, instruments, _ = generate_market_with_actions(symbols, start, end, seed, progress=progress)
    return bars, instruments


def generate_market_with_actions(
    symbols: int, start: date, end: date, seed: int, *, progress: Progress | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[CorporateAction]]:
    """Return `generate_market`'s (bars, instruments) and the corporate actions of its ex-rights days."""
    sessions = TradingCalendar().sessions(start, end)
    if not sessions:
        raise DataError(f"no A-share sessions between {start} and {end}")
    if symbols < 10:
        raise DataError(f"a synthetic market needs at least 10 symbols, was {symbols}")
    rng = np.random.default_rng(seed)
    u = _universe(rng, symbols, sessions)
    sched = _schedule(rng, u, sessions)
    terms: list[ExRights] = []
    bars = _simulate(rng, u, sched, sessions, progress, terms)
    return bars, _instruments(u, sessions), synthetic_actions(terms, list(u.symbols), sessions)


def synthetic_actions(terms: list[ExRights], symbols: list[str], sessions: list[date]) -> list[CorporateAction]:
    """Return the actions of the ex-rights days: a cash dividend paid on its ex date (as SSE and SZSE pay
    today), capitalisation shares (转增: prices cannot tell them from 送股, so the untaxed kind) listed the
    next session; recorded the session before, known on the ex date."""
    out: list[CorporateAction] = []
    for t in terms:
        ex_date = sessions[t.day]
        record = sessions[t.day - 1] if t.day > 0 else None
        common = {"symbol": symbols[t.stock], "ex_date": ex_date, "record_date": record, "source": GENERATOR}
        if t.cash > 0:
            cash = Decimal(f"{t.cash:.3f}")
            out.append(CorporateAction(kind=ActionKind.CASH_DIVIDEND, cash=cash, pay_date=ex_date, **common))
        if t.shares > 0:
            listing = sessions[t.day + 1] if t.day + 1 < len(sessions) else None
            shares = Decimal(f"{t.shares:.1f}")
            out.append(
                CorporateAction(kind=ActionKind.CAPITALISATION_SHARES, shares=shares, listing_date=listing, **common)
            )
    return out


def _simulate(
    rng: np.random.Generator,
    u: _Universe,
    sched: _Schedule,
    sessions: list[date],
    progress: Progress | None,
    terms: list[ExRights],
) -> pd.DataFrame:
    d_count, n, k = len(sessions), len(u.symbols), len(INDUSTRIES)
    star, bse = BOARDS.index(Board.STAR), BOARDS.index(Board.BSE)
    wide = np.isin(u.codes, [star, BOARDS.index(Board.CHINEXT), bse])  # 20%/30% boards swing more
    beta = np.clip(rng.normal(1.0, 0.25, n), 0.3, 1.8)
    load = np.clip(rng.normal(1.0, 0.3, n), 0.2, 2.0)
    sigma = np.clip(np.exp(rng.normal(np.log(0.018), 0.3, n)) * np.where(wide, 1.3, 1.0), 0.008, 0.06)
    turnover = np.exp(rng.normal(np.log(0.012), 0.5, n)) * np.where(wide, 1.8, 1.0)
    lot = np.where(np.isin(u.codes, [star, bse]), 1, 100).astype(np.int64)
    ipo = u.list_day >= 0
    price = np.clip(np.exp(rng.normal(np.log(12.0), 0.7, n)), 2.0, 1800.0)
    price[sched.st[0]] = np.exp(rng.normal(np.log(3.5), 0.4, int(sched.st[0].sum())))
    price[ipo] = u.issue_fen[ipo] / 100
    prev = np.rint(price * 100).astype(np.int64)
    pop = np.exp(rng.normal(np.where(u.codes == bse, 0.6, 0.9), 0.5, n))  # first-day jump of new listings
    state = _State(
        value=prev / 100 * np.where(ipo, pop, 1.0),
        prev=prev,
        own_days=u.listing_index0.copy(),
        float_shares=np.exp(rng.normal(np.log(3e8), 1.0, n)),
        regime=np.zeros(n, dtype=np.int8),
    )
    ind_regime = np.zeros(k, dtype=np.int8)
    mkt_regime = np.zeros(1, dtype=np.int8)
    book = rulebook()
    parts: list[dict[str, npt.NDArray[np.generic]]] = []
    for d, day in enumerate(sessions):
        free = np.array([book.no_limit_listing_days(b, day) for b in BOARDS], dtype=np.int64)[u.codes]
        traded = sched.listed[d] & ~sched.suspended[d]
        first_day = ipo & (u.list_day == d)
        young = ipo & (u.list_day < d) & (state.own_days < free)

        _markov(rng, mkt_regime, 0.02, 0.015, 0.03)
        _markov(rng, ind_regime, 0.03, 0.02, 0.04)
        _markov(rng, state.regime, 0.01, 0.01, 0.03)
        market = 0.0006 * mkt_regime[0] + 0.010 * _t(rng, 4, 1)[0]
        industry = 0.0025 * ind_regime + 0.008 * _t(rng, 4, k)
        drift = 0.0035 * (state.regime > 0) - 0.0035 * (state.regime < 0)
        drift = drift - 0.012 * sched.delisting[d] - 0.0015 * sched.st[d]
        jump = rng.choice([-1.0, 1.0], n, p=[0.45, 0.55]) * rng.uniform(0.05, 0.30, n) * (rng.random(n) < 0.004)
        noise = _t(rng, 3, n) * np.where(young, 0.07, sigma)
        state.value *= np.exp(
            np.where(first_day, 0.0, beta * market + load * industry[u.industry] + drift + noise + jump)
        )

        event = _ex_rights(d, sched, state, traded, terms)
        down, up = band_fen(u.codes, state.prev, day, sched.st[d], state.own_days)
        bar = _bars(rng, state, down, up, sigma)
        volume, amount = _volume(rng, state, bar, turnover, lot, first_day, young)

        c_day = young & (free == 5)  # registration-based listings print C on days 2 to 5
        prefix = np.select(
            [first_day, c_day, event & (sched.bonus[d] == 0), event & (sched.dividend[d] == 0), event],
            [1, 2, 3, 4, 5],
            0,
        )
        label = np.where(sched.st[d], sched.st_label, 0)
        idx = np.flatnonzero(traded)
        parts.append(
            {
                "day": np.full(len(idx), d, dtype=np.int64),
                "stock": idx,
                "open": bar[0][idx],
                "high": bar[1][idx],
                "low": bar[2][idx],
                "close": bar[3][idx],
                "prev_close": state.prev[idx],
                "volume": volume[idx],
                "amount": amount[idx],
                "st": sched.st[d][idx],
                "listing_index": state.own_days[idx],
                "combo": (((prefix * 3 + label) * 2 + sched.delisting[d]) * n + np.arange(n))[idx],
            }
        )
        state.prev = np.where(traded, bar[3], state.prev)
        state.own_days = state.own_days + traded
        if progress is not None:
            progress(d + 1, d_count)
    return _frame(parts, u, sessions)


def _frame(parts: list[dict[str, npt.NDArray[np.generic]]], u: _Universe, sessions: list[date]) -> pd.DataFrame:
    cols = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    n = len(u.symbols)
    keys, inverse = np.unique(cols["combo"], return_inverse=True)
    names = np.empty(len(keys), dtype=object)
    for j, key in enumerate(keys.tolist()):
        rest, stock = divmod(key, n)
        rest, delisting = divmod(rest, 2)
        prefix, label = divmod(rest, 3)
        base = u.base_names[stock]
        names[j] = f"{_EVENT_PREFIX[prefix]}{_ST_LABEL[label]}{base}{'退' if delisting else ''}"
    frame = pd.DataFrame(
        {
            "date": np.array(sessions, dtype=object)[cols["day"]],
            "symbol": u.symbols[cols["stock"]],
            "name": names[inverse],
            **{c: from_fen(cols[c].astype(np.int64)) for c in ("open", "high", "low", "close", "prev_close")},
            "volume": cols["volume"].astype(np.float64),
            "amount": cols["amount"].astype(np.float64),
            "st": cols["st"].astype(bool),
            "listing_index": cols["listing_index"].astype(np.int32),
        }
    )
    return frame.loc[:, list(BAR_COLUMNS)]


def _instruments(u: _Universe, sessions: list[date]) -> pd.DataFrame:
    # Stocks listed before the window get the session `listing_index0` sessions before its start
    # (an approximation: suspensions before the window are not replayed).
    before = TradingCalendar().sessions(date(1990, 12, 19), sessions[0])
    before = [d for d in before if d < sessions[0]]
    list_dates: list[date] = []
    for i in range(len(u.symbols)):
        if u.list_day[i] >= 0:
            list_dates.append(sessions[int(u.list_day[i])])
        elif u.listing_index0[i] <= len(before):
            list_dates.append(before[-int(u.listing_index0[i])])
        else:
            extra = int(u.listing_index0[i]) - len(before)
            list_dates.append(before[0] - pd.Timedelta(days=round(extra * 365 / 243)).to_pytimedelta())
    last = len(sessions) - 1
    return pd.DataFrame(
        {
            "symbol": u.symbols,
            "name": np.array(u.base_names, dtype=object),
            "board": [BOARDS[c].value for c in u.codes],
            "industry": [INDUSTRIES[i][0] for i in u.industry],
            "list_date": np.array(list_dates, dtype=object),
            "delist_date": np.array([sessions[int(d)] if d < last else None for d in u.last_day], dtype=object),
        }
    )


def write_market(
    out: Path | str,
    symbols: int = DEFAULT_SYMBOLS,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    seed: int = DEFAULT_SEED,
    *,
    progress: Progress | None = None,
    replace: bool = False,
) -> BarStore:
    """Generate a market and write it as a bar store at `out` (meta.json records generator and seed), with
    the corporate actions of its ex-rights days beside the bars.

    Into an existing store it refuses to remove what the market lacks unless `replace` (`BarStore.write`)."""
    bars, instruments, actions = generate_market_with_actions(symbols, start, end, seed, progress=progress)
    meta = {
        "generator": GENERATOR,
        "version": VERSION,
        "seed": seed,
        "symbols": symbols,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rows": len(bars),
    }
    store = BarStore.write(out, bars, instruments, meta, replace=replace)
    write_actions(store.objects, actions)
    return store
