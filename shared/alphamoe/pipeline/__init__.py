"""The five stages as library code, and the in-process run of one trading day."""
