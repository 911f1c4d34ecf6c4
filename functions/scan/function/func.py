"""Knative function `scan`: a thin CloudEvent handler; every rule lives in the alphamoe library."""

from alphamoe.functions.runtime import StageFunction


def new() -> StageFunction:
    """Return the function instance func-python serves; start() also loads the numba kernels before readiness."""
    return StageFunction("scan")
