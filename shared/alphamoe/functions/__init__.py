"""Serving the stages as Knative functions on func-python: the runtime behind every `func.py`."""
