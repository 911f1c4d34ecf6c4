"""Trade Abstraction Layer (DESIGN.md §6): one Broker protocol, adapters behind it."""
