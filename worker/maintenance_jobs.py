"""Scheduled maintenance's transitions (issue 18 item 1): one RQ job per maintenance, scheduled for its next
moment (the reminder `maintenance.remind_before` ahead, the start, the end). At each it tells what is due —
subscribers one job each (worker.notify.send_maintenance_notice), the chat targets the repository names for
`maintenance` —, bumps the pages, and schedules itself for the next moment. The schedule lives in Redis; the
store is the record, so `arm_maintenances` (the `worker` command, before it works) re-creates missing jobs."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from incident_desk.logs import log_event
from incidents import timezones
from incidents.chat_view import targets_for
from incidents.maintenance import Maintenance, notice_body, step_title
from incidents.status_page import local_time
from worker.bootstrap import Runtime, forge_for, open_context, runtime
from worker.deferred import maintenance_job_id, schedule_maintenance
from worker.queue import KEY_PREFIX, deliveries_queue, notify_retry, waiting_job_ids
from worker.retry import is_transient, log_reason, retry_delay

__all__ = ["advance_maintenance", "arm_maintenances", "arm_now_and_then"]

log = logging.getLogger("incident_desk.maintenance")
NOTICE_JOB = "worker.notify.send_maintenance_notice"
ARM_CHECK_SECONDS = 600  # how often a delivery looks for maintenance jobs Redis lost


def advance_maintenance(public_id: str, attempt: int = 1) -> str:
    """Tell what is due now, then schedule the next moment; a transient error tries again later."""
    rt = runtime()
    try:
        return _advance(rt, public_id)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            raise
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        deliveries_queue(rt.conn).enqueue_in(timedelta(seconds=delay), advance_maintenance, public_id, attempt + 1,
                                             job_id=maintenance_job_id(public_id))
        log_event(log, maintenance=public_id, outcome="retry", attempt=attempt, retry_in_s=round(delay, 2),
                  reason=log_reason(exc))
        return "retry scheduled"


def _advance(rt: Runtime, public_id: str) -> str:
    maintenance = rt.store.maintenance_by_id(public_id)
    if maintenance is None:
        return "gone"
    ctx = open_context(rt, forge_for(rt, maintenance.platform, maintenance.installation_id), maintenance.repository)
    before = ctx.config.file.maintenance.remind_before
    now = datetime.now(UTC)
    told = []
    for step in maintenance.due_steps(now, before):
        if rt.store.mark_told(public_id, step, now):  # once, whoever runs the job
            queued = _notify_subscribers(rt, maintenance, step)
            _announce_in_chat(ctx, maintenance, step)
            told.append(step)
            log_event(log, maintenance=public_id, step=step, outcome="told", notices=queued)
    following = maintenance.next_moment(now, before)
    if following is not None:
        schedule_maintenance(rt.conn, public_id, following - now)
    return f"told {', '.join(told)}" if told else "nothing due"


def _notify_subscribers(rt: Runtime, maintenance: Maintenance, step: str) -> int:
    """One notice job per confirmed subscriber of every page showing the repository who wants its components."""
    queue, retry, queued = deliveries_queue(rt.conn), notify_retry(rt.settings), 0
    for page in rt.store.pages_showing(maintenance.platform, maintenance.repository):
        for subscriber in rt.store.subscribers(page.slug):
            chosen, affected = set(subscriber.components), set(maintenance.window.components)
            if chosen and affected and not chosen & affected:
                continue
            queue.enqueue(NOTICE_JOB, maintenance.id, step, subscriber.id, page.slug,
                          job_id=f"maintenance-notice-{maintenance.id}-{step}-{subscriber.id}", **retry)
            queued += 1
    return queued


def _announce_in_chat(ctx, maintenance: Maintenance, step: str) -> None:
    """The step to each Apprise target the repository's `notifications` name for `maintenance`."""
    config = ctx.config.file
    title = f"Maintenance {step_title(step).lower()}: {maintenance.name}"
    body = notice_body(maintenance, step, timezones.zone(config.timezone), local_time)
    for target in targets_for(config.notifications, ctx.private_chat_targets, "maintenance", None, False):
        if target in ctx.chat_targets:
            ctx.jobs.announce_in_chat(target, title, body, f"maintenance:{maintenance.id}:{step}")


def arm_maintenances(conn, store) -> int:
    """Schedule the job of every maintenance that may still owe a notice and has none (Redis lost it, or a
    worker stopped before it ran); returns how many were re-created."""
    waiting = waiting_job_ids(conn)
    armed = 0
    for maintenance in store.pending_maintenances():
        if maintenance_job_id(maintenance.id) not in waiting:
            schedule_maintenance(conn, maintenance.id, timedelta(0))  # the job works out what is due and when
            armed += 1
    if armed:
        log_event(log, outcome="re-armed", maintenances=armed)
    return armed


def arm_now_and_then(conn, store) -> None:
    """A delivery's cheap look for lost maintenance jobs: at most once per ARM_CHECK_SECONDS across workers
    (the key goes with Redis's data, so the first delivery after a flush looks)."""
    if conn.set(f"{KEY_PREFIX}:maintenance-armed", "1", nx=True, ex=ARM_CHECK_SECONDS):
        arm_maintenances(conn, store)
