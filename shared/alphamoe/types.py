"""Domain types shared by every stage: symbols, sides, boards, verdicts, order states."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

Symbol = Annotated[str, Field(pattern=r"^\d{6}\.(SH|SZ|BJ)$", description="canonical code, e.g. 600000.SH")]
"""A-share symbol in canonical form: six digits, a dot, the exchange (SH, SZ or BJ)."""


class Exchange(StrEnum):
    SH = "SH"
    SZ = "SZ"
    BJ = "BJ"


class Board(StrEnum):
    """Listing board: it decides lots, limit bands and no-limit listing days."""

    MAIN = "main"
    STAR = "star"  # SSE Science and Technology Innovation Board (688/689)
    CHINEXT = "chinext"  # SZSE ChiNext (300/301)
    BSE = "bse"  # Beijing Stock Exchange


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class Verdict(StrEnum):
    """What an expert, or the router as a whole, says of a quant signal. Never an order."""

    CONFIRM = "confirm"
    VETO = "veto"
    ABSTAIN = "abstain"


class ExpertKind(StrEnum):
    SYMBOLIC = "symbolic"
    LLM = "llm"


class OrderStatus(StrEnum):
    """Order states of DESIGN.md §6; UNKNOWN means in flight and is never terminal."""

    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"
