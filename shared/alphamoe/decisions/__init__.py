"""The decision record: every expert call and every routed signal, kept as audit trail and as cache."""

from alphamoe.decisions.record import CallRecord, RouteTrail, call_key
from alphamoe.decisions.store import DecisionStore, open_store

__all__ = ["CallRecord", "DecisionStore", "RouteTrail", "call_key", "open_store"]
