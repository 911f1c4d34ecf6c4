"""Simulated broker clients with the vendors' call signatures and return codes, for tests and drills."""
