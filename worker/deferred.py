"""The jobs handlers ask for (handlers.context.Jobs), queued by dotted name so this module imports no job."""
from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from worker.queue import deliveries_queue

REMINDER_JOB = "worker.reminders.send_reminder"
BLOG_JOB = "worker.blog.draft_blog_post"
ANNOUNCE_JOB = "worker.notify.notify_subscribers"


def reminder_job_id(platform: str, repository: str, number: int) -> str:
    """The incident's one reminder job: scheduling again replaces it."""
    digest = hashlib.sha1(repository.encode()).hexdigest()[:12]
    return f"reminder-{platform}-{digest}-{number}"


def schedule_reminder(conn, incident, delay: timedelta) -> None:
    """(Re)schedule the incident's one reminder job `delay` from now."""
    reschedule_reminder(conn, incident.platform, incident.repository, incident.number, incident.installation_id,
                        delay)


def reschedule_reminder(conn, platform: str, repository: str, number: int, installation_id: int | None,
                        delay: timedelta, attempt: int = 1) -> None:
    """The reminder job of one incident, `delay` from now, as its `attempt`th try."""
    deliveries_queue(conn).enqueue_in(delay, REMINDER_JOB, platform, repository, number, installation_id, attempt,
                                      job_id=reminder_job_id(platform, repository, number))


def request_blog_draft(conn, incident) -> str:
    """Queue the draft job; returns the job id."""
    digest = hashlib.sha1(incident.repository.encode()).hexdigest()[:10]
    job_id = f"blog-{incident.platform}-{digest}-{incident.number}-{uuid.uuid4().hex[:8]}"
    deliveries_queue(conn).enqueue(BLOG_JOB, incident.platform, incident.repository, incident.number,
                                   incident.installation_id, job_id=job_id, failure_ttl=30 * 24 * 3600)
    return job_id


def announce(conn, update_id: int) -> None:
    """Queue the fan-out of one public update (once, whatever re-runs the status change)."""
    deliveries_queue(conn).enqueue(ANNOUNCE_JOB, update_id, job_id=f"announce-{update_id}")


class QueueJobs:
    """The `Jobs` a handler context carries: each queues an RQ job on `conn`."""

    def __init__(self, conn):
        self.conn = conn

    def schedule_reminder(self, incident, delay: timedelta) -> None:
        schedule_reminder(self.conn, incident, delay)

    def request_blog_draft(self, incident) -> str:
        return request_blog_draft(self.conn, incident)

    def announce(self, update_id: int) -> None:
        announce(self.conn, update_id)
