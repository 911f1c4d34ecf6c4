"""`alphamoe evaluate`: do the LLM experts add alpha? Quant only, the symbolic panel and symbolic + LLM, side by side.

Forward returns are read here only to score decisions already taken; nothing in this package feeds them back
into a decision except the point-in-time track records (evaluate.track), which use outcomes known before the day.
"""
