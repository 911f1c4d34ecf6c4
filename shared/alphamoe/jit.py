"""numba's `njit` with the project's settings and its type kept for mypy (numba itself is untyped).

Every kernel is cached on disk (`NUMBA_CACHE_DIR`; the function image ships the cache), so a cold
process loads machine code instead of compiling it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def jit(fn: F) -> F:
    """Compile `fn` in nopython mode, cached, releasing the GIL."""
    return cast(F, numba.njit(cache=True, nogil=True)(fn))


def jit_inline(fn: F) -> F:
    """`jit` for small helpers: inlined into their callers at numba's IR level."""
    return cast(F, numba.njit(cache=True, nogil=True, inline="always")(fn))
