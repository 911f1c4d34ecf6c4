"""One module per service: its message format, its signing, and how its answers map to delivery errors."""
