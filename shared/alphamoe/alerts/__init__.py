"""Alerts: what an operator must hear about, pushed to chat bots and email without ever touching the trading path."""
