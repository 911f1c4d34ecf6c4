"""The alert channels' names, in a module of their own: `alphamoe alerts test --channel` lists them at start-up
without importing the settings models (`alerts.config` re-exports the enum)."""

from __future__ import annotations

from enum import StrEnum


class ChannelName(StrEnum):
    WECOM = "wecom"
    FEISHU = "feishu"
    DINGTALK = "dingtalk"
    TELEGRAM = "telegram"
    EMAIL = "email"
