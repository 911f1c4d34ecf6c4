"""The operator's web console: the day live, the accounts, the kill switch and clutch, the fabric, history."""
