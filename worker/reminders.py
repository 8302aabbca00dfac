"""Reminders while an incident drags on: one scheduled RQ job per incident, kept in Redis."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone

from incident_desk.logs import log_event
from incident_desk.settings import Settings
from worker.queue import connection, deliveries_queue

log = logging.getLogger("incident_desk.reminders")
REMINDER = ("{who}, it has been {elapsed} since the last update of this incident (status **{status}**). "
            "Please post an update: `{prefix}status <status> <what we know now>` or "
            "`{prefix}timeline HH:MM <what happened>`.")


def reminder_job_id(platform: str, repository: str, number: int) -> str:
    digest = hashlib.sha1(repository.encode()).hexdigest()[:12]
    return f"reminder-{platform}-{digest}-{number}"


def schedule_reminder(conn, incident, delay: timedelta) -> None:
    """(Re)schedule the incident's one reminder job `delay` from now."""
    _schedule(conn, incident.platform, incident.repository, incident.number, incident.installation_id, delay)


def _schedule(conn, platform, repository, number, installation_id, delay: timedelta, attempt: int = 1) -> None:
    deliveries_queue(conn).enqueue_in(delay, send_reminder, platform, repository, number, installation_id, attempt,
                                      job_id=reminder_job_id(platform, repository, number))


def send_reminder(platform: str, repository: str, number: int, installation_id: int | None = None,
                  attempt: int = 1) -> str:
    """Remind the commander when due, then schedule the next; a transient error tries again later."""
    from worker.jobs import is_transient, retry_delay

    settings = Settings.from_env()
    try:
        return _remind(settings, platform, repository, number, installation_id)
    except Exception as exc:
        if not is_transient(exc) or attempt >= settings.max_attempts:
            raise  # RQ's failed registry keeps it with the reason
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), settings.retry_base_seconds)
        _schedule(connection(settings.redis_url), platform, repository, number, installation_id,
                  timedelta(seconds=delay), attempt + 1)
        log_event(log, platform=platform, repository=repository, number=number, outcome="retry",
                  attempt=attempt, retry_in_s=round(delay, 2), reason=str(exc))
        return "retry scheduled"


def _remind(settings, platform: str, repository: str, number: int, installation_id: int | None) -> str:
    """Remind the commander unless someone updated the incident within the interval; then schedule the next."""
    from forges import build_forge
    from handlers.lifecycle import tick_closed_follow_ups
    from handlers.publication import public_reminder
    from worker.jobs import store_for
    from worker.repo_config import load_repository_config

    conn = connection(settings.redis_url)
    store = store_for(settings.database_url)
    incident = store.get_incident(platform, repository, number)
    if incident is None or not incident.tracking or incident.status.value == "resolved" or incident.closed_at:
        return "stopped"
    forge = build_forge(platform, settings, installation_id)
    loaded = load_repository_config(forge, repository, conn)
    forge.use_config(loaded.config.labels)
    tick_closed_follow_ups(forge, store, loaded, incident)
    config = loaded.config
    interval = config.reminders.interval
    now = datetime.now(timezone.utc)
    last = incident.last_update_at or incident.reported_at or now
    if now - last < interval:
        schedule_reminder(conn, incident, last + interval - now)
        return "not due"
    who = f"@{incident.commander}" if incident.commander else "Commander"
    elapsed = _elapsed(now - last)
    text = REMINDER.format(who=who, elapsed=elapsed, status=incident.status.value, prefix=forge.command_prefix)
    public = public_reminder(store, incident, settings.public_url, forge.command_prefix, now)
    forge.comment(repository, number, f"{text}\n\n{public}" if public else text)
    schedule_reminder(conn, incident, interval)
    log_event(log, platform=platform, repository=repository, number=number, outcome="reminded")
    return "reminded"


def _elapsed(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"
