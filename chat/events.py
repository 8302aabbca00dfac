"""What arrives from a chat workspace, in neutral terms (chat/slack_events.py builds these from Slack's payloads)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ChatCommand:
    """`/incident …` typed in a channel: a declaration, or (in an incident's channel) a command."""

    team: str
    channel: str
    user: str  # chat user id
    user_name: str
    text: str  # what follows `/incident`, with chat markup undone (mentions as `<@U…>` kept for mapping)
    response_url: str
    trigger: str  # unique per invocation: the delivery id of this command
    at: datetime


@dataclass(frozen=True)
class MessageToTimeline:
    """A 📌 reaction on a channel message, or the message shortcut "Add to timeline"."""

    team: str
    channel: str
    user: str  # who reacted
    message_ts: str  # the message's ts, which is also its time
    delivery_id: str  # Slack's event_id, or the shortcut's trigger_id
    text: str | None = None  # the message's text when the payload carries it (the shortcut does)
    author: str | None = None  # the message's author, when carried
