"""Chat: the incident's channel (Slack, two-way) and announcements elsewhere (Apprise), behind small interfaces."""
from __future__ import annotations

from chat.base import Announcer, Chat


def build_chat(settings) -> Chat | None:
    """The workspace's Chat, or None when no SLACK_BOT_TOKEN is set. slack-sdk's Web API client is imported here,
    not at the package's import, so that the receiver (which imports chat.base and chat.events) never loads it."""
    if not settings.slack_bot_token:
        return None
    from chat.slack import SlackChat

    return SlackChat(settings)


def build_announcer() -> Announcer:
    """The announcer for the operator's named targets (Apprise, imported only when announcing)."""
    from chat.announce import AppriseAnnouncer

    return AppriseAnnouncer()
