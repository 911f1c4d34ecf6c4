"""Router(Experts): a gated panel of symbolic and LLM experts that confirms, vetoes or abstains on signals."""

from alphamoe.router.config import RouterConfig
from alphamoe.router.defaults import default_registry
from alphamoe.router.experts import Competence, Expert, ExpertRegistry
from alphamoe.router.graph import Router, default_router

__all__ = ["Competence", "Expert", "ExpertRegistry", "Router", "RouterConfig", "default_registry", "default_router"]
