"""Transient errors and trying again later: the retry policy of every job.

Forge-facing jobs (delivery, blog, reminder) schedule their next attempt here, not with RQ's `Retry`: a forge's
Retry-After or rate-limit reset must win, and RQ's intervals are fixed when the job is enqueued.
Subscriber notifications (worker.notify) use RQ's own `Retry` (worker.queue.notify_retry): no server asks them
for a delay. RQ's `Retry` also reruns any job cut off by its worker's death (worker.queue.DeskJob).
"""
from __future__ import annotations

from datetime import timedelta

from rq import get_current_job

from chat.base import TransientChatError
from forges.errors import ForgeError, TransientForgeError
from store import error_summary
from store import is_transient as database_trouble
from worker.queue import backoff, deliveries_queue, retry_job_id


def is_transient(error: BaseException) -> bool:
    """Worth another try later: a forge's or chat's 5xx, rate limit or dropped connection, or a locked or
    unreachable database."""
    return isinstance(error, TransientForgeError | TransientChatError) or database_trouble(error)


def log_reason(error: BaseException, limit: int = 500) -> str:
    """What the product's log says of a job's error: a forge's own words, a database error's kind and first line
    (never its SQL nor parameters), else the error's kind and message; at most `limit` characters."""
    if isinstance(error, ForgeError):
        return str(error)[:limit]
    return (error_summary(error) or f"{error.__class__.__name__}: {error}")[:limit]


def retry_delay(attempt: int, retry_after: float | None, base: float) -> float:
    """Exponential backoff with jitter, but never sooner than the forge asked (Retry-After / reset)."""
    return max(backoff(attempt, base), retry_after or 0.0)


def retry_later(conn, function, args: tuple, attempt: int, delay: float) -> None:
    """Run `function(*args, attempt=attempt + 1)` again after `delay` seconds, as a job of its own."""
    queue = deliveries_queue(conn)
    args = (*args, attempt + 1)
    current = get_current_job()
    next_id = retry_job_id(current.id, attempt + 1) if current else None
    if delay <= 0:
        queue.enqueue(function, *args, job_id=next_id)
    else:  # held by the RQ scheduler, which workers run (--with-scheduler)
        queue.enqueue_in(timedelta(seconds=delay), function, *args, job_id=next_id)
