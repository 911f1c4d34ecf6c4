"""Bulk backtests with the code that trades live (研产同构): signals once over the panel, then a day loop.

The day loop calls the live sizing (`sizing.allocate.size_batch`) and risk (`risk.engine.RiskEngine`) and
fills against each day's raw bar with the paper broker's matching rule; `backtest.backtrader` replays the
same decisions through Backtrader with an A-share broker, so the two can be checked trade for trade.
"""
