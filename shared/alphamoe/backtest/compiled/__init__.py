"""The rules-on backtest compiled: live size, risk and matching transcribed to numba over fen arrays.

`engine.simulate_compiled` gives the same trades as `backtest.engine.simulate` (the loop over the live
Python objects), tested equal trade for trade; it is what `alphamoe backtest` runs by default.
"""
