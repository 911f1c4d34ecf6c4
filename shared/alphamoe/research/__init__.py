"""Research at scale: parameter search, walk-forward, bias checks; trials on local processes or a Ray cluster."""
