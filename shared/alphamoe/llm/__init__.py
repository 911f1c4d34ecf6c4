"""The LLM client behind the LLM experts: settings, capability table, budget, retries, verdict parsing."""
