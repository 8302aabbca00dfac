"""Chat jobs (issue 16): what Slack sent, run as routed handlers on the repository it concerns; the incident
followed in chat; announcements to the operator's Apprise targets; closed incidents' channels archived."""
from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta

from rq import get_current_job

from chat import build_announcer
from chat.base import ChatError
from chat.events import ChatCommand, MessageToTimeline
from chat.slack_events import command_name, to_chat_event
from forges import forge_for_repository
from handlers import router
from handlers.chat import chat_event
from handlers.chat_follow import follow
from incident_desk.logs import log_event
from incidents.chat_commands import declaration
from incidents.chat_view import from_json
from worker.bootstrap import Runtime, chat_for, forge_for, open_context, runtime
from worker.deferred import archive_chat_channel, archive_job_id
from worker.jobs import count_job, incident_lock
from worker.queue import KEY_PREFIX, waiting_job_ids
from worker.retry import is_transient, log_reason, retry_delay, retry_later

log = logging.getLogger("incident_desk.worker")
NO_REPOSITORY = ("I do not know which repository to open the incident in: say `/incident <what went wrong> in "
                 "owner/repository`, or ask the operator to set INCIDENT_DESK_SLACK_REPOSITORY.")
FAILED = "That did not work and will not be tried again ({reason}). Nothing more will change."
VIEW_AT_SECONDS = 30 * 24 * 3600


def process_slack(kind: str, delivery_id: str, payload: dict, attempt: int = 1) -> str:
    """Run what one Slack request asked for. Safe to run twice: the command ledger keys it by its trigger."""
    rt = runtime()
    job = get_current_job()  # a slash command carries no time: it was said when it was queued
    said = to_chat_event(kind, payload, received_at=job.enqueued_at.replace(tzinfo=UTC)
                         if job is not None and job.enqueued_at else None)
    chat = chat_for(rt.settings)
    if said is None or chat is None:
        return "ignored"
    try:
        outcome = _route(rt, said)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            count_job(rt.conn, "slack", kind, "failed")
            log_event(log, platform="slack", delivery_id=delivery_id, event=kind, outcome="failed", attempt=attempt,
                      reason=log_reason(exc))
            if isinstance(said, ChatCommand):
                with contextlib.suppress(ChatError):
                    reason = exc.code if isinstance(exc, ChatError) and exc.code else exc.__class__.__name__
                    chat.respond(said.response_url, FAILED.format(reason=reason))
            raise
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        retry_later(rt.conn, process_slack, (kind, delivery_id, payload), attempt, delay)
        log_event(log, platform="slack", delivery_id=delivery_id, event=kind, outcome="retry", attempt=attempt,
                  retry_in_s=round(delay, 2), reason=log_reason(exc))
        return "retry scheduled"
    count_job(rt.conn, "slack", kind, outcome)
    log_event(log, platform="slack", delivery_id=delivery_id, event=kind, outcome=outcome, attempt=attempt)
    return outcome


def _route(rt: Runtime, said: ChatCommand | MessageToTimeline) -> str:
    """The incident whose channel it was said in, or the repository a declaration names."""
    incident = rt.store.incident_by_channel(said.channel)
    if isinstance(said, MessageToTimeline) or (incident is not None and command_name(said.text)):
        if incident is None:
            return "ignored"
        action = "to-timeline" if isinstance(said, MessageToTimeline) else "command"
        event = chat_event(action, said, incident.platform, incident.repository, incident.number)
        forge = forge_for(rt, incident.platform, incident.installation_id)
        with incident_lock(rt.conn, f"{KEY_PREFIX}:lock:{incident.platform}:{incident.repository}:{incident.number}"):
            return _dispatch(rt, forge, event)
    target = _target(rt.settings.slack_repository, declaration(said.text)[1])
    chat = chat_for(rt.settings)
    if target is None:
        assert chat is not None
        chat.respond(said.response_url, NO_REPOSITORY)
        return "refused"
    forge = forge_for_repository(target[0], rt.settings, target[1])
    forge.identity_cache = rt.conn
    return _dispatch(rt, forge, chat_event("declare", said, target[0], target[1]))


def _dispatch(rt: Runtime, forge, event) -> str:
    ctx = open_context(rt, forge, event.repository)
    return "processed" if router.dispatch(event, ctx) else "ignored"


def _target(default: str | None, named: str | None) -> tuple[str, str] | None:
    """(platform, repository) a declaration goes to: `in [platform:]owner/repo`, else the deployment's default."""
    platform = (default or "github:").split(":", 1)[0]
    if named:
        first, _, rest = named.partition(":")
        return (first.lower(), rest) if rest and first.lower() in ("github", "gitlab") else (platform, named)
    if default is None:
        return None
    return platform, default.split(":", 1)[1]


def follow_in_chat(platform: str, repository: str, number: int, installation_id: int | None, view: str,
                   as_of: str, attempt: int = 1) -> str:
    """Tell chat about the incident as `view` shows it, unless a newer view was told already."""
    rt = runtime()
    try:  # the store's first read too: a locked database is retried like the rest, never the job's end
        return _follow(rt, platform, repository, number, installation_id, view, as_of)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            raise
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        retry_later(rt.conn, follow_in_chat, (platform, repository, number, installation_id, view, as_of),
                    attempt, delay)
        return "retry scheduled"


def _follow(rt: Runtime, platform: str, repository: str, number: int, installation_id: int | None, view: str,
            as_of: str) -> str:
    incident = rt.store.get_incident(platform, repository, number)
    if incident is None:
        return "ignored"
    key = f"{KEY_PREFIX}:chat-view-at:{platform}:{repository}:{number}"
    with incident_lock(rt.conn, f"{KEY_PREFIX}:lock:chat:{platform}:{repository}:{number}"):
        told_at = rt.conn.get(key)
        if told_at is not None and datetime.fromisoformat(told_at.decode()) > datetime.fromisoformat(as_of):
            return "stale"
        ctx = open_context(rt, forge_for(rt, platform, installation_id), repository)
        follow(ctx, incident, from_json(view))
        rt.conn.set(key, as_of, ex=VIEW_AT_SECONDS)
    return "told"


def send_announcement(target: str, title: str, body: str, key: str, attempt: int = 1) -> str:
    """One announcement to a named Apprise target, sent once; a failing target is retried with backoff and
    never holds up anything else. The target's URL is read from the settings here, never queued."""
    rt = runtime()
    url = dict(rt.settings.chat_targets).get(target)
    sent = f"{KEY_PREFIX}:chat-announced:{key}"
    if url is None or rt.conn.exists(sent):
        return "ignored"
    try:
        build_announcer().announce(url, title, body)
    except ChatError as exc:
        if attempt >= rt.settings.notify_max_attempts:
            log_event(log, platform="apprise", event="announcement", outcome="failed", target=target, attempt=attempt)
            raise
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        retry_later(rt.conn, send_announcement, (target, title, body, key), attempt, delay)
        return "retry scheduled"
    rt.conn.set(sent, "1", ex=VIEW_AT_SECONDS)
    return "sent"


def archive_channel(channel: str, attempt: int = 1) -> str:
    """Archive a closed incident's channel once the repository's `slack.archive_after` has passed since the close
    (a job re-armed early waits for that time)."""
    rt = runtime()
    chat = chat_for(rt.settings)
    try:  # the store's and the config's reads too: a locked database is retried, never the end of the archiving
        incident = rt.store.incident_by_channel(channel)
        if chat is None or incident is None or incident.closed_at is None:
            return "ignored"  # reopened meanwhile: the channel stays
        wait = _archive_wait(rt, incident)
        if wait is None:
            return "ignored"  # the repository no longer archives channels
        if wait > timedelta(0):
            archive_chat_channel(rt.conn, channel, wait)
            return "not yet"
        chat.archive(channel)
        rt.store.save_incident_chat(incident, archived_at=datetime.now(UTC))
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            raise
        retry_later(rt.conn, archive_channel, (channel,), attempt,
                    retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds))
        return "retry scheduled"
    return "archived"


def _archive_wait(rt: Runtime, incident) -> timedelta | None:
    """How long until the channel is due for archiving (`slack.archive_after` from the close); None: never."""
    ctx = open_context(rt, forge_for(rt, incident.platform, incident.installation_id), incident.repository)
    after = ctx.config.file.slack.archive_after
    return None if after is None else incident.closed_at + after - datetime.now(UTC)


def rearm_archives(conn, store) -> int:
    """Queue the archive job of every closed incident's channel that is not archived and has none (Redis lost it);
    each works out whether its time has come. Returns how many were re-created (the `worker` command's start)."""
    waiting = waiting_job_ids(conn)
    armed = 0
    for _incident, told in store.chats_to_archive(datetime.now(UTC)):
        if told.channel_id and archive_job_id(told.channel_id) not in waiting:
            archive_chat_channel(conn, told.channel_id, timedelta(0))
            armed += 1
    if armed:
        log_event(log, outcome="re-armed", archives=armed)
    return armed
