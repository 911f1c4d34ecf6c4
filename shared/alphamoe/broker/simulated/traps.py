"""The field's broker traps as switches the simulated clients share (issue 20).

Each switch is a failure reported against a real client; the simulators (MiniQMT, full QMT, PTrade) play it
when it is on. A 废单 after an accepted report is the counter's doing (`SimExchange.junk`), and a client
restart is an action on the simulator, so neither is a switch here.
"""

from __future__ import annotations

from dataclasses import dataclass

from alphamoe.portfolio import AccountState


@dataclass
class Traps:
    silent: bool = False
    """No order or trade push at all (insufficient funds and others: xtquant_big_convert #345)."""
    mixed_ids: bool = False
    """Order ids come back as int in one place and str in another (xtquant_big_convert #113)."""
    inverted_cancel: bool = False
    """The cancel call returns the opposite of what it did (xtquant_big_convert #113)."""
    ids_lost: bool = False
    """Orders of an earlier session come back with no order id after a reconnect (ruyisee/vnpy_qmt #5)."""
    stale_positions: AccountState | None = None
    """The quote link is down: position queries answer this frozen snapshot (xtquant_big_convert #309)."""
    closed: bool = False
    """A non-trading day: the client refuses every login (silver6wings/SilverQuant #51)."""
    logins: int = 0
    """Login attempts the client saw (a reconnect loop shows here)."""
