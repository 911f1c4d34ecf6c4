"""Deterministic client order ids: the same approved order always maps to the same broker remark."""

from __future__ import annotations

import hashlib


def client_order_id(order_id: str) -> str:
    """Return a 20-character id derived from the approved order's id (fits xtquant's order_remark)."""
    return "AM" + hashlib.sha256(order_id.encode("utf-8")).hexdigest()[:18].upper()
