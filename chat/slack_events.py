"""Slack's requests read as chat events (chat/events.py). Pure: no Slack call, no settings.

The receiver reads each request with it before queueing anything (what is not ours is answered and
dropped), and the worker reads the job's payload with it again. Payload shapes are Slack's documented
ones (tests/fixtures/slack/README.md): a slash command's form fields, an Events API `event_callback`,
a message shortcut's `message_action`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chat.events import ChatCommand, MessageToTimeline
from incidents.command_table import SPECS

COMMAND, EVENT, INTERACTION = "command", "event", "interaction"
KINDS = (COMMAND, EVENT, INTERACTION)
PUSHPIN = "pushpin"  # the 📌 reaction's name
ADD_TO_TIMELINE = "add_to_timeline"  # the message shortcut's callback_id (README, "Connect Slack")
DECLARE = "incident"  # the command table's entry for a declaration
HELP = "help"
SLASH = "/incident"

DECLARING, WORKING = "Declaring the incident…", "Working on it…"
_BROADCASTS = frozenset({"here", "channel", "everyone"})
_MARKUP = re.compile(r"<([^<>]*)>")  # Slack escapes a typed < and >, so these are Slack's own
_MESSAGE_TS = re.compile(r"[0-9]{1,10}\.[0-9]{1,6}")  # ASCII digits only: float() takes other scripts' too


def to_chat_event(kind: str, payload: Mapping[str, Any], *,
                  received_at: datetime | None = None) -> ChatCommand | MessageToTimeline | None:
    """The chat event in a Slack request, or None when it is not ours (another reaction than 📌, another
    shortcut, another event type) or lacks what it needs. `received_at` is a slash command's time (its
    payload carries none; the worker passes its job's enqueued_at); now when not given."""
    if kind == COMMAND:
        return _command(payload, received_at or datetime.now(UTC))
    if kind == EVENT:
        return _reaction(payload)
    if kind == INTERACTION:
        return _shortcut(payload)
    return None


def team_of(kind: str, payload: Mapping[str, Any]) -> str | None:
    """The workspace a request comes from: `team_id`, or an interaction's `team.id` (`user.team_id` when
    an organisation-wide install sends `team: null`)."""
    if kind != INTERACTION:
        return _text(payload.get("team_id"))
    return _text(_dig(payload, "team", "id")) or _text(_dig(payload, "user", "team_id"))


def plain_text(text: str) -> str:
    """Slack's markup undone: `<@U…|name>` → `<@U…>` (kept, for the worker to map), `<#C…|name>` →
    `#name`, `<!here>` → `@here`, `<url|label>` → the label when it is the URL as typed, else
    `label (url)`; then `&lt;` `&gt;` `&amp;` → `<` `>` `&`."""
    return _MARKUP.sub(_undo_markup, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_name(text: str) -> str | None:
    """The command a slash command's text runs (`status identified …` → "status"), None for a declaration."""
    first = text.split(maxsplit=1)[0].lower().replace("_", "-") if text.strip() else ""
    return first if first in SPECS and first != DECLARE else None


def wants_help(text: str) -> bool:
    """`/incident` alone or `/incident help`: answered with the usage at once, nothing queued."""
    return text.strip().lower() in ("", HELP)


def ack_text(text: str) -> str:
    """The ephemeral answer to a slash command that was queued."""
    return WORKING if command_name(text) else DECLARING


def usage() -> str:
    """The slash command's usage, in Slack mrkdwn, from the one command table."""
    declare = SPECS[DECLARE]
    lines = [f"`{SLASH} {declare.arguments}`: {declare.description}", "In an incident's channel:"]
    lines += [f"`{spec.usage(SLASH + ' ')}`: {spec.description}" for name, spec in SPECS.items()
              if name not in (DECLARE, HELP)]
    return slack_escape("\n".join(lines))


def slack_escape(text: str) -> str:
    """`&`, `<`, `>` as Slack wants them in message text: nothing the bot says becomes a link or a ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _command(payload: Mapping[str, Any], at: datetime) -> ChatCommand | None:
    fields = [_text(payload.get(key)) for key in ("team_id", "channel_id", "user_id", "response_url", "trigger_id")]
    team, channel, user, response_url, trigger = fields
    if not (team and channel and user and response_url and trigger):
        return None
    text = payload.get("text")
    return ChatCommand(team=team, channel=channel, user=user, user_name=_text(payload.get("user_name")) or "",
                       text=plain_text(text).strip() if isinstance(text, str) else "",
                       response_url=response_url, trigger=trigger, at=at)


def _reaction(payload: Mapping[str, Any]) -> MessageToTimeline | None:
    event = payload.get("event")
    if payload.get("type") != "event_callback" or not isinstance(event, Mapping):
        return None
    if event.get("type") != "reaction_added" or event.get("reaction") != PUSHPIN:
        return None
    item = event.get("item")
    if not isinstance(item, Mapping) or item.get("type") != "message":
        return None
    team, channel, ts = _text(payload.get("team_id")), _text(item.get("channel")), _message_ts(item.get("ts"))
    user, event_id = _text(event.get("user")), _text(payload.get("event_id"))
    if not (team and channel and ts and user and event_id):
        return None
    return MessageToTimeline(team=team, channel=channel, user=user, message_ts=ts, delivery_id=event_id,
                             author=_text(event.get("item_user")))  # absent for messages no user wrote


def _shortcut(payload: Mapping[str, Any]) -> MessageToTimeline | None:
    if payload.get("type") != "message_action" or payload.get("callback_id") != ADD_TO_TIMELINE:
        return None
    message = payload.get("message")
    if not isinstance(message, Mapping):
        return None
    team, channel = team_of(INTERACTION, payload), _text(_dig(payload, "channel", "id"))
    user, trigger = _text(_dig(payload, "user", "id")), _text(payload.get("trigger_id"))
    ts = _message_ts(message.get("ts")) or _message_ts(payload.get("message_ts"))
    if not (team and channel and user and trigger and ts):
        return None
    text = message.get("text")
    return MessageToTimeline(team=team, channel=channel, user=user, message_ts=ts, delivery_id=trigger,
                             text=plain_text(text) if isinstance(text, str) else None,
                             author=_text(message.get("user")))


def _undo_markup(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):  # a person: <@U123|steve> → <@U123>
        return f"<{target}>"
    if target.startswith("#"):  # a channel: <#C123|general> → #general
        return f"#{label or target[1:]}"
    if target.startswith("!"):  # <!here>, <!subteam^S123|@oncall>, <!date^…|fallback>
        name = target[1:].split("^")[0]
        return f"@{name}" if name in _BROADCASTS else (label or f"@{name}")
    if not label or target.endswith(label):  # <https://x.io> or <http://x.io|x.io>: what was typed
        return label or target
    return f"{label} ({target})"


def _dig(payload: Mapping[str, Any], *path: str) -> Any:
    value: Any = payload
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _message_ts(value: Any) -> str | None:
    """A message's timestamp as Slack writes it (`1360782400.498405`: seconds and microseconds), else None."""
    text = _text(value)
    return text if text is not None and _MESSAGE_TS.fullmatch(text) else None


def _text(value: Any) -> str | None:
    """A non-empty string field, else None: a payload that anyone can post must not be trusted for types."""
    return value if isinstance(value, str) and value else None
