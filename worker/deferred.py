"""The jobs handlers ask for (handlers.context.Jobs), queued by dotted name so this module imports no job."""
from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta

from incident_desk.settings import board_repositories
from incidents.board import board_key, board_repository
from worker.queue import KEY_PREFIX, deliveries_queue

REMINDER_JOB = "worker.reminders.send_reminder"
BLOG_JOB = "worker.blog.draft_blog_post"
ANNOUNCE_JOB = "worker.notify.notify_subscribers"
FOLLOW_JOB = "worker.chat_jobs.follow_in_chat"
CHAT_ANNOUNCE_JOB = "worker.chat_jobs.send_announcement"
ARCHIVE_JOB = "worker.chat_jobs.archive_channel"
MAINTENANCE_JOB = "worker.maintenance_jobs.advance_maintenance"
BOARD_JOB = "worker.board.update_board"
SET_UP_JOB = "worker.onboarding_jobs.set_up_repository"
# A repository's set-up is queued once per installation: a redelivery within this long (GitHub offers
# redelivery for three days) queues nothing; a set-up that failed for good forgets it sooner (forget_set_up).
SET_UP_KEPT = timedelta(days=3)
BOARD_DELAY = timedelta(minutes=1)  # the board's debounce: at most one write a minute
WAITING = (b"queued", b"scheduled", b"deferred")


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


PENDING = (b"queued", b"started", b"scheduled", b"deferred")


def has_reminder(conn, platform: str, repository: str, number: int) -> bool:
    """Whether the incident's reminder job is waiting or running: one HGET (a flushed Redis has none)."""
    from rq.job import Job

    return conn.hget(Job.key_for(reminder_job_id(platform, repository, number)), "status") in PENDING


def ensure_reminder(conn, incident, delay: timedelta) -> bool:
    """Schedule the incident's reminder `delay` from now unless one is waiting; whether it had to."""
    if has_reminder(conn, incident.platform, incident.repository, incident.number):
        return False
    schedule_reminder(conn, incident, max(delay, timedelta(0)))
    return True


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


def follow_in_chat(conn, incident, view: str) -> None:
    """Queue telling chat about the incident as `view` shows it (now: the time orders views that race)."""
    deliveries_queue(conn).enqueue(FOLLOW_JOB, incident.platform, incident.repository, incident.number,
                                   incident.installation_id, view, datetime.now(UTC).isoformat())


def announce_in_chat(conn, target: str, title: str, body: str, key: str) -> None:
    """Queue one announcement to a named Apprise target, once per `key` (whatever re-runs the change)."""
    digest = hashlib.sha1(f"{target}|{key}".encode()).hexdigest()[:20]
    deliveries_queue(conn).enqueue(CHAT_ANNOUNCE_JOB, target, title, body, digest, job_id=f"chat-announce-{digest}",
                                   failure_ttl=30 * 24 * 3600)


def archive_job_id(channel: str) -> str:
    """The channel's one archive job: scheduling again replaces it."""
    return f"chat-archive-{channel}"


def archive_chat_channel(conn, channel: str, delay: timedelta) -> None:
    """Archive the closed incident's channel `delay` from now."""
    deliveries_queue(conn).enqueue_in(delay, ARCHIVE_JOB, channel, job_id=archive_job_id(channel))


def maintenance_job_id(public_id: str) -> str:
    """The maintenance's one transition job: scheduling again replaces it."""
    return f"maintenance-{public_id}"


def schedule_maintenance(conn, public_id: str, delay: timedelta) -> None:
    """The maintenance's next transition `delay` from now (at once when that is not in the future)."""
    queue = deliveries_queue(conn)
    if delay <= timedelta(0):
        queue.enqueue(MAINTENANCE_JOB, public_id, job_id=maintenance_job_id(public_id))
    else:
        queue.enqueue_in(delay, MAINTENANCE_JOB, public_id, job_id=maintenance_job_id(public_id))


def board_job_id(platform: str, owner: str) -> str:
    """The board's one update job: changes while it waits are all in its one write."""
    return f"board-{platform}-{hashlib.sha1(owner.lower().encode()).hexdigest()[:12]}"


def refresh_board(conn, platform: str, repository: str, installation_id: int | None,
                  delay: timedelta = BOARD_DELAY) -> bool:
    """Update the board `repository`'s incidents are on `delay` from now, unless its update is waiting already
    (one HGET) or no board is configured for them; whether it was scheduled. A running update does not count:
    it may have read the store before this change."""
    from rq.job import Job

    if board_repository(board_repositories(os.environ), platform, repository) is None:
        return False
    owner = board_key(repository)
    job_id = board_job_id(platform, owner)
    if conn.hget(Job.key_for(job_id), "status") in WAITING:
        return False
    deliveries_queue(conn).enqueue_in(delay, BOARD_JOB, platform, owner, installation_id, job_id=job_id)
    return True


def set_up_job_id(platform: str, repository: str, installation_id: int | None) -> str:
    """The one set-up job of a repository in an installation (its retries add `-retryN`)."""
    digest = hashlib.sha1(f"{installation_id}|{repository.lower()}".encode()).hexdigest()[:16]
    return f"setup-{platform}-{digest}"


def _set_up_key(platform: str, repository: str, installation_id: int | None) -> str:
    return f"{KEY_PREFIX}:set-up:{set_up_job_id(platform, repository, installation_id)}"


def set_up_repository(conn, platform: str, repository: str, installation_id: int | None) -> bool:
    """Queue the repository's set-up (its labels, its onboarding pull/merge request) unless this installation
    queued it already (one SET NX); whether it was queued."""
    if not conn.set(_set_up_key(platform, repository, installation_id), 1, nx=True,
                    ex=int(SET_UP_KEPT.total_seconds())):
        return False
    deliveries_queue(conn).enqueue(SET_UP_JOB, platform, repository, installation_id,
                                   job_id=set_up_job_id(platform, repository, installation_id))
    return True


def forget_set_up(conn, platform: str, repository: str, installation_id: int | None) -> None:
    """A set-up that failed for good: the next delivery naming the repository queues it again."""
    conn.delete(_set_up_key(platform, repository, installation_id))


class QueueJobs:
    """The `Jobs` a handler context carries: each queues an RQ job on `conn`."""

    def __init__(self, conn):
        self.conn = conn

    def schedule_reminder(self, incident, delay: timedelta) -> None:
        schedule_reminder(self.conn, incident, delay)

    def ensure_reminder(self, incident, delay: timedelta) -> bool:
        return ensure_reminder(self.conn, incident, delay)

    def request_blog_draft(self, incident) -> str:
        return request_blog_draft(self.conn, incident)

    def announce(self, update_id: int) -> None:
        announce(self.conn, update_id)

    def follow_in_chat(self, incident, view: str) -> None:
        follow_in_chat(self.conn, incident, view)

    def announce_in_chat(self, target: str, title: str, body: str, key: str) -> None:
        announce_in_chat(self.conn, target, title, body, key)

    def archive_chat_channel(self, channel: str, delay: timedelta) -> None:
        archive_chat_channel(self.conn, channel, delay)

    def schedule_maintenance(self, public_id: str, delay: timedelta) -> None:
        schedule_maintenance(self.conn, public_id, delay)

    def refresh_board(self, incident) -> None:
        refresh_board(self.conn, incident.platform, incident.repository, incident.installation_id)

    def refresh_board_at(self, platform: str, repository: str, installation_id: int | None) -> None:
        refresh_board(self.conn, platform, repository, installation_id)

    def set_up_repository(self, platform: str, repository: str, installation_id: int | None) -> bool:
        return set_up_repository(self.conn, platform, repository, installation_id)
