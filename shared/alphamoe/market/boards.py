"""Symbols and boards: canonical codes, exchange and board from the code (DESIGN.md §7)."""

from __future__ import annotations

import re
from functools import lru_cache

from alphamoe.errors import DataError
from alphamoe.types import Board, Exchange

_CANONICAL = re.compile(r"^(\d{6})\.(SH|SZ|BJ)$")
_PREFIXED = re.compile(r"^(sh|sz|bj|shse|szse|bjse)\.?(\d{6})$", re.IGNORECASE)  # sh600000, SHSE.600000
_SUFFIXED = re.compile(r"^(\d{6})\.(sh|sz|bj|ss|xshg|xshe|bjse|xbse)$", re.IGNORECASE)  # 600000.XSHG
_BARE = re.compile(r"^\d{6}$")
_EXCHANGE_NAMES = {
    "SH": "SH", "SS": "SH", "SHSE": "SH", "XSHG": "SH",
    "SZ": "SZ", "SZSE": "SZ", "XSHE": "SZ",
    "BJ": "BJ", "BJSE": "BJ", "XBSE": "BJ",
}  # fmt: skip
# A bare code's exchange by its leading digits (stocks first; funds and bonds follow each exchange's ranges).
_BARE_EXCHANGE: tuple[tuple[str, str], ...] = (
    ("92", "BJ"), ("4", "BJ"), ("8", "BJ"),
    ("6", "SH"), ("5", "SH"), ("9", "SH"),
    ("0", "SZ"), ("1", "SZ"), ("2", "SZ"), ("3", "SZ"),
)  # fmt: skip

# (exchange, code prefixes, board); ChiNext 30xxxx is a stock board, not an index.
_BOARDS: tuple[tuple[Exchange, tuple[str, ...], Board], ...] = (
    (Exchange.SH, ("600", "601", "603", "605"), Board.MAIN),
    (Exchange.SH, ("688", "689"), Board.STAR),
    (Exchange.SZ, ("000", "001", "002", "003"), Board.MAIN),
    (Exchange.SZ, ("300", "301"), Board.CHINEXT),
    (Exchange.BJ, ("43", "83", "87", "88", "92"), Board.BSE),
)


def normalize_symbol(raw: str) -> str:
    """Return the canonical form `600000.SH` of any common spelling of an A-share code.

    Accepts `600000.SH`, `sh600000`, `SH600000`, `sh.600000` (baostock), `600000.SS`, `600000.XSHG`
    (JoinQuant), `SHSE.600000` (gm) and a bare `600000`, whose exchange follows from its leading digits
    (6 → SH, 0/3 → SZ, 4/8/92 → BJ). Whether the code is a stock is `board_of`'s question.
    """
    text = str(raw).strip()
    if _CANONICAL.match(text):
        return text
    if m := _PREFIXED.match(text):
        return f"{m.group(2)}.{_EXCHANGE_NAMES[m.group(1).upper()]}"
    if m := _SUFFIXED.match(text):
        return f"{m.group(1)}.{_EXCHANGE_NAMES[m.group(2).upper()]}"
    if _BARE.match(text):
        exchange = next(ex for lead, ex in _BARE_EXCHANGE if text.startswith(lead))
        return f"{text}.{exchange}"
    raise DataError(
        f"symbol {raw!r} is not an A-share code (expected e.g. 600000.SH, sh600000, SH600000, 600000.XSHG or 600000)"
    )


def exchange_of(symbol: str) -> Exchange:
    m = _CANONICAL.match(symbol)
    if m is None:
        raise DataError(f"symbol {symbol!r} is not canonical (expected e.g. 600000.SH)")
    return Exchange(m.group(2))


def board_of(symbol: str) -> Board:
    """Return the listing board of a canonical symbol; raise DataError for codes that are not stocks."""
    exchange = exchange_of(symbol)
    code = symbol[:6]
    for ex, prefixes, board in _BOARDS:
        if ex == exchange and code.startswith(prefixes):
            return board
    raise DataError(f"symbol {symbol!r} is not a stock on any A-share board (index, fund or bond code?)")


def is_stock(symbol: str) -> bool:
    try:
        board_of(symbol)
    except DataError:
        return False
    return True


@lru_cache(maxsize=16384)
def board_key(symbol: str) -> str:
    """Return the board a symbol counts against (board caps, board Kelly prior); 'other' for a code on no board."""
    try:
        return board_of(symbol).value
    except DataError:
        return "other"
