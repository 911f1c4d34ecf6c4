"""Intraday quotes for paper trading the open session: snapshots, their sources, and the order's tape.

`model.Quote` is one snapshot; `source.QuoteSource` streams them (`xtdata` live from MiniQMT, `replay` a past
day from the bar store); `tape.Tape` turns the quotes after an order was placed into the bar the paper
broker's one fill rule reads.
"""
