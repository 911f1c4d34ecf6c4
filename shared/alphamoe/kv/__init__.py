"""Redis plumbing every Redis-backed part shares: the client factory and a local server for tests and clusters."""
