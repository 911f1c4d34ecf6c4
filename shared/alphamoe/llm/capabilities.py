"""What each model supports, so a request only asks for what the model can do.

R1 (deepseek-reasoner) returns its chain of thought in `message.reasoning_content`, ignores sampling
parameters and rejects a request that sends `reasoning_content` back. An unknown model gets the most
conservative row: no JSON mode, no tools, reasoning read only if the server happens to return it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ModelCapabilities(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    json_mode: bool = False
    """Accepts response_format={"type": "json_object"}."""
    tools: bool = False
    """Accepts function tools (unused by the experts, kept for the table's completeness)."""
    reasoning_field: str | None = None
    """Name of the message field carrying the chain of thought, if any."""
    temperature: bool = True
    """Honours `temperature`; reasoning models ignore it, so it is not sent."""


CAPABILITIES: dict[str, ModelCapabilities] = {
    "deepseek-reasoner": ModelCapabilities(reasoning_field="reasoning_content", temperature=False),
    "deepseek-r1": ModelCapabilities(reasoning_field="reasoning_content", temperature=False),
    "deepseek-chat": ModelCapabilities(json_mode=True, tools=True),
    "gpt-4o-mini": ModelCapabilities(json_mode=True, tools=True),
    "qwen2.5": ModelCapabilities(json_mode=True, tools=True),
}
CONSERVATIVE = ModelCapabilities(reasoning_field="reasoning_content")


def capabilities_of(model: str) -> ModelCapabilities:
    """Return the row for `model` (exact, then by prefix such as `deepseek-r1:14b` on Ollama), else CONSERVATIVE."""
    name = model.lower()
    if name in CAPABILITIES:
        return CAPABILITIES[name]
    for known, caps in CAPABILITIES.items():
        if name.startswith(known):
            return caps
    return CONSERVATIVE
