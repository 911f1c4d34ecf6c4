"""One colour convention for every page, chart and terminal table alphamoe draws (the console's CSS uses the same).

Prices and returns follow A-share screens (红涨绿跌): red is up, a gain; green is down, a loss. Verdicts are
never red or green, so a veto is not read as a gain nor a confirm as a loss: confirm blue, veto purple,
abstain grey.
"""

from __future__ import annotations

UP = "#d62728"
DOWN = "#1a9850"
FLAT = "#f7f7f7"
CONFIRM = "#2f5fd0"
VETO = "#6d3fb0"
ABSTAIN = "#6b7280"

VERDICT = {"confirm": CONFIRM, "veto": VETO, "abstain": ABSTAIN}
"""A verdict's colour by its value."""


def signed(value: float) -> str:
    """Return the colour of a signed change: UP above zero, DOWN below, "" (unstyled) at zero."""
    return UP if value > 0 else DOWN if value < 0 else ""
