"""The incident told in chat (issue 16): what changes on the issue is posted in its channel and the one pinned
summary is edited in place; the Apprise targets the repository names hear of declarations, status, severity,
resolve, close and publication. What chat was last told is kept (the view), so telling twice tells once."""
from __future__ import annotations

from datetime import UTC, datetime

from chat.base import Channel
from forges.base import Issue
from handlers.command_run import CLOCK_SKEW, Run
from handlers.context import Context
from handlers.publication import public_page_url
from incidents.chat_view import (
    Change,
    ChatView,
    announcement,
    changes,
    channel_name,
    from_json,
    pinned_summary,
    targets_for,
    to_json,
    view_of,
)
from incidents.commands import Command
from incidents.document import parse_document
from incidents.metrics import format_elapsed
from incidents.model import Incident
from incidents.timezones import zone

CLOSED = "**Incident closed.** TTD {ttd} · TTF {ttf} · TTR {ttr} · open action items: {actions} · postmortem: {pm}"


def view_now(ctx: Context, incident: Incident, issue: Issue, document=None) -> ChatView:
    """What chat should show of the incident now (from the issue's parsed document, when at hand)."""
    config = ctx.config_for(incident.repository).file
    if document is None:
        document = parse_document(issue.body or "", config.get_profile(), config.timezone)
    labels = {label.lower() for label in issue.labels}
    names = config.labels
    postmortem = "complete" if (names.postmortem_complete or "").lower() in labels else \
        "incomplete" if (names.postmortem_incomplete or "").lower() in labels else None
    return view_of(incident, document, public_page_url(ctx.store, incident, ctx.public_url), postmortem=postmortem)


def wants_following(ctx: Context, incident: Incident) -> bool:
    """Whether anything in chat follows this incident: its channel, or the repository's announcement targets."""
    if ctx.told_in_chat:
        return False  # the handler tells chat itself, once it is done
    if ctx.config_for(incident.repository).file.notifications:
        return True
    told = ctx.store.incident_chat(incident) if ctx.chat is not None else None
    return bool(told and told.channel_id and not told.archived_at)


def queue_follow(ctx: Context, incident: Incident, issue: Issue, document=None) -> None:
    """Have chat catch up with the incident (its channel, pinned summary, announcements), when anything follows it."""
    if wants_following(ctx, incident):
        ctx.jobs.follow_in_chat(incident, to_json(view_now(ctx, incident, issue, document)))


def follow(ctx: Context, incident: Incident, after: ChatView, *, tell_channel: bool = True) -> None:
    """Tell chat what changed since it was last told: the channel (unless a reply there said it already),
    the pinned summary, and the announcement targets."""
    told = ctx.store.incident_chat(incident)
    before = from_json(told.view) if told and told.view else None
    if after == before:
        return
    found = changes(before, after)
    if before is None and (incident.resolved_at or incident.closed_at):
        found = []  # an incident from before chat: followed from now on, not announced as new
    channel = told.channel_id if told and not told.archived_at else None
    if ctx.chat is not None and channel and told is not None and not incident.private:
        if tell_channel and before is not None and found:
            ctx.chat.post(channel, "\n".join(change.text for change in found))
        if told.pinned_ts and before is not None and pinned_summary(before) != pinned_summary(after):
            ctx.chat.update(channel, told.pinned_ts, pinned_summary(after))  # no view yet: pinned just now
        if any(change.kind == "closed" for change in found):
            _close_channel(ctx, incident, after, channel)
    _announce(ctx, incident, after, found, told.channel_url if told else None)
    ctx.store.save_incident_chat(incident, view=to_json(after))


def _close_channel(ctx: Context, incident: Incident, view: ChatView, channel: str) -> None:
    assert ctx.chat is not None
    ctx.chat.post(channel, CLOSED.format(ttd=format_elapsed(incident.ttd_seconds),
                                         ttf=format_elapsed(incident.ttf_seconds),
                                         ttr=format_elapsed(incident.ttr_seconds), actions=view.open_actions,
                                         pm=view.postmortem or "not tracked"))
    after = ctx.config_for(incident.repository).file.slack.archive_after
    if after is not None:
        ctx.jobs.archive_chat_channel(channel, after)


def _announce(ctx: Context, incident: Incident, view: ChatView, found: list[Change], channel_url: str | None) -> None:
    """Each announced change to the targets the repository names for it (private incidents: private ones only),
    and a declaration to the repository's Slack announcement channel."""
    config = ctx.config_for(incident.repository).file
    for change in found:
        title, body = announcement(view, change)
        if channel_url:
            body += f"\n\nChannel: {channel_url}"
        key = f"{incident.platform}:{incident.repository}#{incident.number}:{change.kind}:{change.text}"
        for target in targets_for(config.notifications, ctx.private_chat_targets, change.kind,
                                  view.severity, view.private):
            if target in ctx.chat_targets:
                ctx.jobs.announce_in_chat(target, title, body, key)
        if change.kind == "declared" and ctx.chat and config.slack.announce_channel and not incident.private:
            ctx.chat.post(config.slack.announce_channel, f"**{title}**\n{body}")


def open_channel(ctx: Context, run: Run, command: Command) -> Channel:
    """The declared incident's channel, created once across retries (a name taken gets a suffix).

    Slack has no idempotency key, so the name is noted before it is asked for: a retry that finds the note but
    no channel (the create's answer was lost) takes the channel of that name it made since, when no incident
    has it yet, rather than making `…-2`."""
    assert ctx.chat is not None
    steps = run.recorded[command.line].steps if command.line in run.recorded else {}
    if steps.get("channel"):
        return Channel(*steps["channel"])
    intent = steps.get("channel-name")
    if intent is None:
        now = datetime.now(UTC)
        intent = [channel_name(now.astimezone(zone(ctx.config.file.timezone)).date(), command.args["text"]),
                  now.isoformat()]
        run.note_step(command.line, "channel-name", intent)
        channel = ctx.chat.create_channel(intent[0])
    else:
        since = datetime.fromisoformat(intent[1]) - CLOCK_SKEW

        def made_since(found: Channel) -> bool:
            return found.created_at is not None and found.created_at >= since and \
                ctx.store.incident_by_channel(found.id) is None

        channel = ctx.chat.create_channel(intent[0], reclaim=made_since)
    run.note_step(command.line, "channel", [channel.id, channel.name, channel.url])
    return channel


def pin_summary(ctx: Context, run: Run, line: int, incident: Incident, issue: Issue, channel: Channel,
                invite: list[str]) -> None:
    """The channel kept as the incident's, with the declarer in it and its one pinned summary (posted once across
    retries: a retry after a post whose answer was lost finds the message by its key before posting again)."""
    assert ctx.chat is not None
    told = ctx.store.incident_chat(incident)
    if told is None or told.channel_id != channel.id:
        ctx.store.save_incident_chat(incident, channel_id=channel.id, channel_name=channel.name,
                                     channel_url=channel.url)
    ctx.chat.invite(channel.id, invite)
    ts = told.pinned_ts if told else None
    if ts is None:
        key = f"summary:{incident.platform}:{incident.repository}#{incident.number}"
        steps = run.recorded[line].steps if line in run.recorded else {}
        if steps.get("summary"):
            ts = ctx.chat.posted(channel.id, key)
        else:
            run.note_step(line, "summary", True)  # before posting: Slack has no idempotency key
        ts = ts or ctx.chat.post(channel.id, pinned_summary(view_now(ctx, incident, issue)), key=key)
        ctx.store.save_incident_chat(incident, pinned_ts=ts)  # before pinning: a retry pins it, posts no second
    ctx.chat.pin(channel.id, ts)  # a retry's pin of a pinned summary is Slack's `already_pinned`, no error
