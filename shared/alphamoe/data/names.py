"""A-share short names and their status markers (ST, *ST, N, C, XD, XR, DR, G, S, 退).

The exchanges print a stock's status in its daily short name: `*ST东电` (delisting risk warning),
`N华兴` (listing day), `XD浦发银` (ex-dividend day), `天茂退` (delisting period). Importers read the
risk-warning flag from it; the generator writes names the same way.
"""

from __future__ import annotations

import re

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
