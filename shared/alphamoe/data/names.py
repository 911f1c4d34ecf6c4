"""A-share short names and their status markers (ST, *ST, N, C, XD, XR, DR, G, S, 退).

The exchanges print a stock's status in its daily short name: `*ST东电` (delisting risk warning),
`N华兴` (listing day), `XD浦发银` (ex-dividend day), `天茂退` (delisting period). Importers read the
risk-warning flag from it; the generator writes names the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

ST_PREFIXES = ("ST", "*ST", "SST", "S*ST")
DELISTING_MARK = "退"

# Ex-rights (XD/XR/DR), listing (N/C), share-reform (G/S) and ST markers, in the order the exchanges stack them.
_MARKERS = re.compile(r"^(?P<events>(?:XD|XR|DR|N|C|G)*)(?P<st>S?\*?ST|S)?(?=[^A-Za-z*])")


def is_st_name(name: str) -> bool:
    """Return True when the day's name carries a risk warning: ST, *ST, SST or S*ST, after any XD/N/G marker."""
    m = _MARKERS.match(name)
    return m is not None and m.group("st") is not None and m.group("st").endswith("ST")


def is_delisting_name(name: str) -> bool:
    """Return True for a delisting-period name: `天茂退` (since 2020) or `退市长油` (before)."""
    return name.endswith(DELISTING_MARK) or name.startswith(DELISTING_MARK)


def base_name(name: str) -> str:
    """Return the short name without status markers: `XD*ST东电` → `东电`, `天茂退` → `天茂`."""
    m = _MARKERS.match(name)
    core = name[m.end() :] if m is not None else name
    if core.startswith("退市"):
        core = core[2:]
    core = core.removesuffix(DELISTING_MARK)
    return core or name


def carried_name(name: str) -> str:
    """Return the name the next session prints when nothing happens: the one-day markers XD/XR/DR/N dropped.

    `XD*ST东电` → `*ST东电`, `N华兴` → `华兴`; ST, C, G and 退 stay (they last beyond one day).
    """
    m = _MARKERS.match(name)
    if m is None or not m.group("events"):
        return name
    return re.sub("XD|XR|DR|N", "", m.group("events")) + name[m.end("events") :]


NAME_FLAGS = ("st", "star_st", "listing", "early_days", "ex_dividend", "ex_rights", "ex_both", "delisting")


def name_flags(names: pd.Series) -> pd.DataFrame:
    """Return the point-in-time status flags each day's name carries, one bool column per NAME_FLAGS entry.

    st: ST or *ST (risk warning) · star_st: *ST (delisting risk) · listing: N (first listing day) ·
    early_days: C (registration boards' first days) · ex_dividend XD · ex_rights XR · ex_both DR ·
    delisting: 退 (delisting period). Each flag is read from that day's name only: no look-ahead.
    """
    import pandas as pd  # here: risk reads delisting names through this module, and a backtest runs without pandas

    unique = pd.Series(names.unique())
    events = unique.str.extract(_MARKERS.pattern, expand=True)
    head = events["events"].fillna("")
    st_mark = events["st"].fillna("")
    table = pd.DataFrame(
        {
            "st": st_mark.str.endswith("ST").to_numpy(),
            "star_st": st_mark.str.contains("*", regex=False).to_numpy(),
            "listing": head.str.contains("N", regex=False).to_numpy(),
            "early_days": head.str.contains("C", regex=False).to_numpy(),
            "ex_dividend": head.str.contains("XD", regex=False).to_numpy(),
            "ex_rights": head.str.contains("XR", regex=False).to_numpy(),
            "ex_both": head.str.contains("DR", regex=False).to_numpy(),
            "delisting": unique.map(is_delisting_name).to_numpy(),
        },
        index=pd.Index(unique.to_numpy()),
    ).astype(bool)
    return table.reindex(names.to_numpy()).set_axis(names.index)
