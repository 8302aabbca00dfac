"""Incidents in chat (issue 16). `/incident <what>` in Slack declares one and opens its channel; in that channel
`/incident <command>` runs the command as the same comment on the issue would (one command table, one parser,
the same permissions); a 📌 on a message puts it in the timeline. The chat side only says who is speaking and
where the answer goes (DESIGN "One command table")."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from chat.base import ChatMessage
from chat.events import ChatCommand, MessageToTimeline
from forges.errors import ForgeError, TransientForgeError
from forges.events import COMMENT, Actor, CommentEvent, Event
from handlers.chat_follow import follow, open_channel, pin_summary, view_now
from handlers.command_run import Run, flush, said_at
from handlers.commands import answer_commands, open_incident_issue
from handlers.context import Context
from handlers.declare import reconcile
from handlers.router import Router
from incidents.chat_commands import as_comment, as_typed_in_chat, declaration
from incidents.chat_view import slack_login
from incidents.commands import Command, parse_commands
from incidents.text import escape
from incidents.timezones import zone
from store.ledger import Outcome

CHAT = "chat"
router = Router()

NOT_MAPPED = ("you can declare incidents from Slack, but to run commands your Slack user needs a login on {forge}: "
              "add `{user}: <your login>` under `slack.users` in `{config}` of `{repository}`.")
DECLARED = "Declared incident [#{number}]({url}) in `{repository}`, channel #{channel}."
NOT_DECLARED = "The incident could not be opened in `{repository}`: {reason}. Nothing was created."
IN_SLACK = "{name} (in Slack)"


@dataclass(frozen=True)
class ChatEvent(Event):
    """Something said in chat, routed like a forge event once the worker knows its repository."""

    said: ChatCommand | MessageToTimeline | None = None


def chat_event(action: str, said: ChatCommand | MessageToTimeline, platform: str, repository: str,
               number: int = 0) -> ChatEvent:
    """`declare`, `command` or `to-timeline`, on the repository (and incident) it concerns."""
    return ChatEvent(kind=CHAT, action=action, platform=platform, repository=repository, number=number,
                     actor=Actor(login=""), said=said, delivery_id=f"slack-{_key(said)}")


def speaker(ctx: Context, user_id: str) -> str | None:
    """The forge login the repository's `slack.users` maps this chat user to, by id or e-mail."""
    users = ctx.config.file.slack.users
    if user_id in users or not any("@" in key for key in users) or ctx.chat is None:
        return slack_login(users, user_id, None)  # no e-mail keys: no call to ask for the address
    return slack_login(users, user_id, ctx.chat.user_email(user_id))


def _key(said: ChatCommand | MessageToTimeline) -> str:
    if isinstance(said, ChatCommand):
        return said.trigger
    return f"{said.channel}:{said.message_ts}"  # one timeline entry per message, whoever reacts how often


def said_as_comment(event: ChatEvent, login: str | None, text: str) -> CommentEvent:
    """What was said, as the comment on the incident's issue that would do the same: the command ledger keys
    it by a negative id (a forge's comment ids are positive), so each takes effect once."""
    said = event.said
    assert said is not None
    key = -int(hashlib.sha256(_key(said).encode()).hexdigest()[:15], 16)
    at = said.at if isinstance(said, ChatCommand) else None
    return CommentEvent(kind=COMMENT, action="created", platform=event.platform, repository=event.repository,
                        number=event.number, actor=Actor(login=login or ""), comment_id=key, comment=text,
                        commented_at=at or datetime.now(UTC), delivery_id=event.delivery_id)


@router.register(CHAT, "command")
def run_in_channel(event: ChatEvent, ctx: Context) -> None:
    """A command typed in the incident's channel runs as a comment would; the reply goes to the channel."""
    said, chat = event.said, ctx.chat
    assert isinstance(said, ChatCommand) and chat is not None
    login = speaker(ctx, said.user)
    if login is None:
        chat.respond(said.response_url, NOT_MAPPED.format(forge=ctx.forge.web_host, user=said.user,
                                                          config=ctx.config.path, repository=event.repository))
        return
    comment = said_as_comment(event, login, as_comment(said.text, lambda user: speaker(ctx, user)))
    ctx.told_in_chat = True  # the reply tells the channel what changed; the pinned summary is edited below
    answer_commands(comment, ctx, lambda text: chat.post(said.channel, f"{login} ran:\n" + as_typed_in_chat(text)))
    incident = ctx.store.get_incident(event.platform, event.repository, event.number)
    if incident is not None:
        follow(ctx, incident, view_now(ctx, incident, ctx.issue(comment)), tell_channel=False)


@router.register(CHAT, "declare")
def declare_in_chat(event: ChatEvent, ctx: Context) -> None:
    """The incident issue opened as `/incident` in a comment opens it, then its channel, pinned summary and
    announcement; the declarer hears back through the slash command's response_url."""
    said, chat = event.said, ctx.chat
    assert isinstance(said, ChatCommand) and chat is not None
    login = speaker(ctx, said.user)
    what, _ = declaration(said.text)
    comment = said_as_comment(event, login, f"/desk incident {what}")
    today = said_at(comment).astimezone(zone(ctx.config.file.timezone)).date()
    [command] = parse_commands(comment.comment, today=today)
    assert isinstance(command, Command)  # `what` is never empty: the receiver answers an empty text itself
    run = Run(comment, ctx)
    run.recorded = ctx.store.command_runs(run.comment)
    reporter = f"@{login}" if login else IN_SLACK.format(name=escape(said.user_name, 80))
    try:
        issue = open_incident_issue(run, command, reporter, "Slack", [login] if login else [])
    except ForgeError as exc:
        if isinstance(exc, TransientForgeError):
            raise
        chat.respond(said.response_url, NOT_DECLARED.format(repository=event.repository, reason=exc))
        return
    ctx.told_in_chat = True  # told below, once the channel is there to link
    channel = open_channel(ctx, run, command)
    incident = reconcile(ctx, ctx.config, issue, platform=event.platform, declared_by=login or "",
                         installation_id=event.installation_id, remind=True, chat_channel=(channel.name, channel.url))
    pin_summary(ctx, run, command.line, incident, issue, channel, [said.user])
    follow(ctx, incident, view_now(ctx, incident, issue), tell_channel=False)
    chat.respond(said.response_url, DECLARED.format(number=issue.number, url=issue.url,
                                                    repository=event.repository, channel=channel.name))


@router.register(CHAT, "to-timeline")
def message_to_timeline(event: ChatEvent, ctx: Context) -> None:
    """A pinned (📌) channel message goes in the Timeline at its own time, attributed to its author, once."""
    said, chat = event.said, ctx.chat
    assert isinstance(said, MessageToTimeline) and chat is not None
    incident = ctx.store.get_incident(event.platform, event.repository, event.number)
    comment = said_as_comment(event, None, "")
    run = Run(comment, ctx, incident)
    run.recorded = ctx.store.command_runs(run.comment)
    if incident is None or 1 in run.recorded:
        return
    message = _message(chat, said)
    if message is None or not message.text.strip():
        return
    login = speaker(ctx, message.author)
    author = f"@{login}" if login else IN_SLACK.format(name=escape(chat.user_name(message.author) or "someone", 80))
    run.add_to_timeline(message.at, f"{author}: {escape(message.text, 1000)}")
    run.finish(1, Outcome("📌", "added to the timeline", changed=True))
    flush(run)
    reconcile(ctx, ctx.config, ctx.issue(comment), platform=event.platform, declared_by=incident.commander or "")


def _message(chat, said: MessageToTimeline) -> ChatMessage | None:
    if said.text is not None and said.author:
        at = datetime.fromtimestamp(float(said.message_ts), UTC)
        return ChatMessage(said.channel, said.message_ts, said.text, said.author, at)
    return chat.message(said.channel, said.message_ts)
