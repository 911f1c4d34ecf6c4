"""Market data vendors behind one protocol (`MarketSource`): tushare pro, akshare, TDX day files, CSV folders.

Each module speaks its vendor's real client or wire protocol and returns one session at a time as a
`DayBatch` in the store's units; `data.update` brings a store up to date from any of them.
"""
