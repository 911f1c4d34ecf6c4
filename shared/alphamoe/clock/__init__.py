"""The trading day's clock: market.open and market.close once per XSHG session, caught up when missed."""
