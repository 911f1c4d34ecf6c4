"""Router(Experts): a gated panel of symbolic and LLM experts that confirms, vetoes or abstains on signals.

The names below load on first use (PEP 562): `alphamoe.router.config` is read by every backtest, which
should not pay for importing the graph and its LangGraph/LangChain stack (~0.8 s) it never runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alphamoe.router.config import RouterConfig
    from alphamoe.router.defaults import default_registry
    from alphamoe.router.experts import Competence, Expert, ExpertRegistry
    from alphamoe.router.graph import Router, default_router

__all__ = ["Competence", "Expert", "ExpertRegistry", "Router", "RouterConfig", "default_registry", "default_router"]
_HOME = {
    "RouterConfig": "config",
    "default_registry": "defaults",
    "Competence": "experts",
    "Expert": "experts",
    "ExpertRegistry": "experts",
    "Router": "graph",
    "default_router": "graph",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
