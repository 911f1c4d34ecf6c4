"""The five pipeline stages: each turns one input event into its output events, whatever runs it.

The in-process runner, the HTTP functions and (later) the Redis bridge all call these same `handle`
methods, so backtest, replay and live share one code path. Stages hold only per-run working state (the
batch barriers); the rules themselves live in scan/, router/, sizing/, risk/ and broker/.

Import each stage from its own module (`alphamoe.pipeline.stages.scan`, …): a function process loads only its
stage, so the scan function never pays for LangGraph and the route function never for numba.
"""
