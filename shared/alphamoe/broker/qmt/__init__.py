"""The full QMT client: a bridge script inside it (`bridge_script`) and execute's adapter (`adapter`)."""
