"""The adjust factor over a stock's whole history, from the exchange's ex-rights previous close.

f_t = f_{t-1} · close_{t-1} / prev_close_t, f = 1 on the stock's first bar: on an ex-rights day the
exchange's reference price drops below the last close and the factor rises by the same ratio, so
`close · f` moves by the stock's true return. Raw prices stay raw in the store (limits and fills use
them); adjusted prices serve the factors. `Panel.adjustment_factor` is the same rule inside a panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def adjust_factor(bars: pd.DataFrame) -> pd.Series:
    """Return the back-adjust (后复权) factor of every bar of a long frame (symbol, date, close, prev_close)."""
    order = bars.sort_values(["symbol", "date"], kind="stable")
    last_close = order.groupby("symbol", sort=False)["close"].shift(1)
    step = (last_close / order["prev_close"]).where(last_close.notna(), 1.0).astype(np.float64)
    log_factor = pd.Series(np.log(step.to_numpy()), index=order.index).groupby(order["symbol"], sort=False).cumsum()
    factor = pd.Series(np.exp(log_factor.to_numpy()), index=order.index, name="adjust_factor")
    return factor.reindex(bars.index)


def adjusted_close(bars: pd.DataFrame) -> pd.Series:
    """Return close · adjust_factor: continuous across dividends, bonus shares and rights issues."""
    return (bars["close"] * adjust_factor(bars)).rename("adjusted_close")
