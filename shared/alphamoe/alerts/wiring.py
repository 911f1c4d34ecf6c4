"""Build the enabled channels from settings (each with its own HTTP client) and the report look-up."""

from __future__ import annotations

from datetime import date

from alphamoe.alerts.channels.base import Channel
from alphamoe.alerts.channels.dingtalk import DingTalkChannel
from alphamoe.alerts.channels.email import EmailChannel
from alphamoe.alerts.channels.feishu import FeishuChannel
from alphamoe.alerts.channels.telegram import TelegramChannel
from alphamoe.alerts.channels.wecom import WeComChannel
from alphamoe.alerts.config import AlertSettings, ChannelName, ChannelSettings
from alphamoe.alerts.watch import ReportLookup
from alphamoe.report.endofday import EndOfDayReport
from alphamoe.report.store import ReportStore
from alphamoe.storage import ObjectNotFound


def build_channel(name: ChannelName, settings: AlertSettings) -> Channel:
    """Return the channel `name` as configured (enabled or not: `alerts test` may try a disabled one)."""
    if name is ChannelName.WECOM:
        return WeComChannel(settings.wecom)
    if name is ChannelName.FEISHU:
        return FeishuChannel(settings.feishu)
    if name is ChannelName.DINGTALK:
        return DingTalkChannel(settings.dingtalk)
    if name is ChannelName.TELEGRAM:
        return TelegramChannel(settings.telegram)
    return EmailChannel(settings.email)


def enabled_channels(settings: AlertSettings) -> list[tuple[Channel, ChannelSettings]]:
    """Return every enabled channel beside its settings (what the dispatcher takes)."""
    return [(build_channel(name, settings), settings.channel(name)) for name in settings.enabled()]


def report_lookup(store: ReportStore) -> ReportLookup:
    """Return the watcher's look-up of a closed run's end-of-day report in `store` (None until written)."""

    def lookup(day: date, run_id: str) -> EndOfDayReport | None:
        try:
            return store.load(day, run_id)
        except ObjectNotFound:
            return None

    return lookup
