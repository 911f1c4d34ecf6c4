from __future__ import annotations

import pytest

from alphamoe.errors import DataError
from alphamoe.market.boards import board_of, exchange_of, is_stock, normalize_symbol
from alphamoe.types import Board, Exchange


@pytest.mark.parametrize(
    ("symbol", "board"),
    [
        ("600519.SH", Board.MAIN),
        ("605599.SH", Board.MAIN),
        ("688981.SH", Board.STAR),
        ("000001.SZ", Board.MAIN),
        ("003816.SZ", Board.MAIN),
        ("300750.SZ", Board.CHINEXT),
        ("301269.SZ", Board.CHINEXT),
        ("430047.BJ", Board.BSE),
        ("830799.BJ", Board.BSE),
        ("920002.BJ", Board.BSE),
    ],
)
def test_board_of_when_stock_code_then_its_board(symbol: str, board: Board) -> None:
    assert board_of(symbol) == board
    assert is_stock(symbol)


@pytest.mark.parametrize(
    "symbol", ["000300.SH", "000001.SH", "000905.SH", "399001.SZ", "399006.SZ", "510300.SH", "159915.SZ"]
)
def test_board_of_when_index_or_fund_code_then_data_error(symbol: str) -> None:
    # 000300 on SH is the CSI 300 index, 000001.SH the SSE Composite: same digits as stocks on SZ
    with pytest.raises(DataError, match="not a stock"):
        board_of(symbol)
    assert not is_stock(symbol)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("sh600000", "600000.SH"),
        ("SZ000001", "000001.SZ"),
        ("sh.600000", "600000.SH"),
        ("600000.SS", "600000.SH"),
        ("bj430047", "430047.BJ"),
        (" 300750.SZ ", "300750.SZ"),
        ("600000.XSHG", "600000.SH"),
        ("000001.XSHE", "000001.SZ"),
        ("SHSE.600000", "600000.SH"),
        ("szse.300750", "300750.SZ"),
        ("600000", "600000.SH"),
        ("688981", "688981.SH"),
        ("000001", "000001.SZ"),
        ("300750", "300750.SZ"),
        ("430047", "430047.BJ"),
        ("830799", "830799.BJ"),
        ("920002", "920002.BJ"),
    ],
)
def test_normalize_symbol_when_common_layouts_then_canonical(raw: str, canonical: str) -> None:
    assert normalize_symbol(raw) == canonical


@pytest.mark.parametrize("raw", ["sh60000", "AAPL", "600000.HK", "6000000", "hk00700", ""])
def test_normalize_symbol_when_not_a_code_then_data_error(raw: str) -> None:
    with pytest.raises(DataError):
        normalize_symbol(raw)


def test_exchange_of_when_canonical_then_exchange() -> None:
    assert exchange_of("300750.SZ") == Exchange.SZ
    with pytest.raises(DataError, match="not canonical"):
        exchange_of("sz300750")


@pytest.mark.parametrize("raw", ["300750", "sz300750", "300750.SZ", "SZ300750", "300750.XSHE", "301269"])
def test_chinext_code_when_any_spelling_then_a_stock_not_an_index(raw: str) -> None:
    # 30xxxx is the ChiNext board; the ChiNext *index* is 399006.SZ
    symbol = normalize_symbol(raw)
    assert board_of(symbol) == Board.CHINEXT
    assert is_stock(symbol)
    assert not is_stock(normalize_symbol("399006"))
