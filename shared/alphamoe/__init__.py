"""alphamoe: (Quant_Signal ∩ Router(Experts)) × Kelly_Position for China A-shares.

Every rule lives in this library so that backtest, replay and live run the same code.
"""

__version__ = "0.1.0"
