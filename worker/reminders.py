"""Reminders while an incident drags on: one scheduled RQ job per incident, kept in Redis."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from handlers.lifecycle import tick_closed_follow_ups
from handlers.publication import public_reminder
from incident_desk.logs import log_event
from incidents.nudges import elapsed_words
from worker.bootstrap import Runtime, forge_for, open_context, runtime
from worker.deferred import ensure_reminder, reschedule_reminder, schedule_reminder
from worker.retry import is_transient, log_reason, retry_delay

__all__ = ["REMINDER", "rearm_reminders", "send_reminder"]

log = logging.getLogger("incident_desk.reminders")
REMINDER = ("{who}, it has been {elapsed} since the last update of this incident (status **{status}**). "
            "Please post an update: `{prefix}status <status> <what we know now>` or "
            "`{prefix}timeline HH:MM <what happened>`.")


def send_reminder(platform: str, repository: str, number: int, installation_id: int | None = None,
                  attempt: int = 1) -> str:
    """Remind the commander when due, then schedule the next; a transient error tries again later."""
    rt = runtime()
    try:
        return _remind(rt, platform, repository, number, installation_id)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            raise  # RQ's failed registry keeps it with the reason
        # Not retry_later: the retry keeps the reminder's one job id, so a later schedule replaces it.
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        reschedule_reminder(rt.conn, platform, repository, number, installation_id, timedelta(seconds=delay),
                            attempt + 1)
        log_event(log, platform=platform, repository=repository, number=number, outcome="retry",
                  attempt=attempt, retry_in_s=round(delay, 2), reason=log_reason(exc))
        return "retry scheduled"


def _remind(rt: Runtime, platform: str, repository: str, number: int, installation_id: int | None) -> str:
    """Remind the commander unless someone updated the incident within the interval; then schedule the next."""
    incident = rt.store.get_incident(platform, repository, number)
    if incident is None or not incident.tracking or incident.status.value == "resolved" or incident.closed_at:
        return "stopped"
    ctx = open_context(rt, forge_for(rt, platform, installation_id), repository)
    forge = ctx.forge
    tick_closed_follow_ups(ctx, ctx.config, incident)
    interval = ctx.config.file.reminders.interval
    now = datetime.now(UTC)
    last = incident.last_update_at or incident.reported_at or now
    if now - last < interval:
        schedule_reminder(rt.conn, incident, last + interval - now)
        return "not due"
    who = f"@{incident.commander}" if incident.commander else "Commander"
    elapsed = elapsed_words(now - last)
    text = REMINDER.format(who=who, elapsed=elapsed, status=incident.status.value, prefix=forge.command_prefix)
    public = public_reminder(rt.store, incident, rt.settings.public_url, forge.command_prefix, now)
    forge.comment(repository, number, f"{text}\n\n{public}" if public else text)
    schedule_reminder(rt.conn, incident, interval)
    log_event(log, platform=platform, repository=repository, number=number, outcome="reminded")
    return "reminded"


def rearm_reminders(conn, store) -> int:
    """Give every unresolved tracked incident its reminder back when Redis has none (a flush, a lost volume):
    the `worker` command calls this before working. Each is due at once; the job itself reads the repository's
    interval and, when not due yet, waits until it is. Returns how many were scheduled."""
    scheduled = 0
    for incident in store.incidents():
        if incident.tracking and incident.status.value != "resolved" and not incident.closed_at:
            scheduled += ensure_reminder(conn, incident, timedelta(0))
    if scheduled:
        log_event(log, outcome="reminders re-armed", count=scheduled)
    return scheduled
