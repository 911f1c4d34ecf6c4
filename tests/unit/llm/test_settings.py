"""LLM settings from the names the issue promises, and the capability table."""

from __future__ import annotations

from pathlib import Path

import pytest

from alphamoe.llm.capabilities import CONSERVATIVE, capabilities_of
from alphamoe.llm.settings import DEEPSEEK_URL, LlmSettings, replaying
from alphamoe.settings import Settings


def test_settings_when_flat_env_names_set_then_llm_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALPHAMOE_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ALPHAMOE_LLM_MODEL", "deepseek-chat")
    monkeypatch.setenv("ALPHAMOE_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("ALPHAMOE_LLM_TIMEOUT_S", "7.5")
    monkeypatch.setenv("ALPHAMOE_DECISIONS", str(tmp_path / "dec"))
    monkeypatch.setenv("ALPHAMOE_EVIDENCE", str(tmp_path / "ev"))

    llm = Settings().llm

    assert llm.base_url == "http://127.0.0.1:9/v1"
    assert llm.model == "deepseek-chat"
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "sk-test"
    assert llm.timeout_s == 7.5
    assert llm.decisions == str(tmp_path / "dec")
    assert llm.evidence == tmp_path / "ev"
    assert llm.enabled and llm.live


def test_settings_when_nothing_set_then_llm_off_with_deepseek_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALPHAMOE_LLM_BASE_URL", "ALPHAMOE_LLM_API_KEY", "ALPHAMOE_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)

    llm = Settings().llm

    assert not llm.enabled and not llm.live
    assert llm.model == "deepseek-reasoner"
    assert llm.endpoint == DEEPSEEK_URL


def test_settings_when_only_key_set_then_deepseek_endpoint() -> None:
    llm = LlmSettings(api_key="sk-x")  # type: ignore[arg-type]

    assert llm.enabled and llm.endpoint == DEEPSEEK_URL


def test_replaying_when_applied_then_enabled_but_not_live_unless_allowed() -> None:
    replay = replaying(LlmSettings())
    assert replay.enabled and not replay.live

    with_endpoint = replaying(LlmSettings(base_url="http://127.0.0.1:9"))
    assert not with_endpoint.live
    assert replaying(LlmSettings(base_url="http://127.0.0.1:9"), allow_live=True).live


@pytest.mark.parametrize(
    ("model", "json_mode", "reasoning", "temperature"),
    [
        ("deepseek-reasoner", False, "reasoning_content", False),
        ("deepseek-r1:14b", False, "reasoning_content", False),
        ("deepseek-chat", True, None, True),
    ],
)
def test_capabilities_of_when_known_model_then_its_row(
    model: str, json_mode: bool, reasoning: str | None, temperature: bool
) -> None:
    caps = capabilities_of(model)

    assert (caps.json_mode, caps.reasoning_field, caps.temperature) == (json_mode, reasoning, temperature)


def test_capabilities_of_when_unknown_model_then_conservative() -> None:
    assert capabilities_of("my-local-model") == CONSERVATIVE
    assert not CONSERVATIVE.json_mode and not CONSERVATIVE.tools
