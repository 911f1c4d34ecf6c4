"""The five pipeline stages: each turns one input event into its output events, whatever runs it.

The in-process runner, the HTTP functions and (later) the Redis bridge all call these same `handle`
methods, so backtest, replay and live share one code path. Stages hold only per-run working state (the
batch barriers); the rules themselves live in scan/, router/, sizing/, risk/ and broker/.
"""

from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.pipeline.stages.risk import RiskStage
from alphamoe.pipeline.stages.route import RouteStage
from alphamoe.pipeline.stages.scan import ScanStage
from alphamoe.pipeline.stages.size import SizeStage

__all__ = [
    "ExecuteStage",
    "MarketData",
    "Outputs",
    "RiskStage",
    "RouteStage",
    "ScanStage",
    "SizeStage",
    "derive",
    "expect",
]
