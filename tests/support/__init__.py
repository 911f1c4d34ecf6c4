"""Helpers the tests and benchmarks share (never test modules): servers standing in for outside services,
hand-built data and scenarios, and the bodies of shared fixtures."""
