"""Queue names and connections. Jobs take only primitives, serialized as JSON (never pickle)."""
from __future__ import annotations

import functools
import hashlib
import math
import os
import random
import re
import threading
import weakref

import redis
from rq import Queue, Worker
from rq.exceptions import AbandonedJobError
from rq.job import Job, Retry
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException

from worker.horse import WarmHorseWorker

DELIVERIES = "incident-desk-deliveries"
KEY_PREFIX = "incident-desk"
JOBS_METRIC = f"{KEY_PREFIX}:metrics:jobs"  # a hash: "platform|event or job|outcome" -> how many
# A job cut off by its worker's death runs again, at once, then after 30 s and 2 min. Every job's
# effects are safe to repeat; one that dies each time (say, out of memory) stops in the failed registry.
RETRIES_AFTER_DEATH = [0, 30, 120]
# RQ's default of 180 s cuts off a long comment: 200 commands, each one or two paced writes of a
# second. An hour fits any comment the forge lets through; a job that still outlives it runs again,
# and what already took effect is not done twice.
JOB_TIMEOUT_SECONDS = 3600
MAX_NOTIFY_DELAY = 3600  # subscriber notifications: hourly at most, for as long as the attempts last
RETRIED_WHEN_RAISED = "retried_when_raised"  # a job's meta flag: its own Retry answers RetryLater, not only deaths
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@functools.lru_cache(maxsize=8)
def connection(redis_url: str, socket_timeout: float | None = None) -> redis.Redis:
    """A shared client. Workers block on the queue, so only the web process sets a socket timeout."""
    return redis.Redis.from_url(redis_url, health_check_interval=30, socket_timeout=socket_timeout,
                                socket_connect_timeout=5)


_pinned: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_pinned_lock = threading.Lock()


def pinned(conn: redis.Redis) -> redis.Redis:
    """A client on `conn`'s pool that keeps one connection for this process (single_connection_client).

    Its commands skip the pool's checkout, whose locks and probe of the socket cost about a third of
    a command in redis-py 8; the webhook ack path sends one command per delivery. Made on first use in
    each process, so a forked process makes its own; threads take turns on it (the client's lock).
    """
    pid = os.getpid()
    entry = _pinned.get(conn)
    if entry is None or entry[0] != pid:
        with _pinned_lock:
            entry = _pinned.get(conn)
            if entry is None or entry[0] != pid:
                client = redis.Redis(connection_pool=conn.connection_pool, single_connection_client=True)
                entry = _pinned[conn] = (pid, client)
    return entry[1]


class DeskJob(Job):
    """Our jobs, as the worker reads them: run again by RQ when the worker running them dies.

    RQ retries a job with retries left both when its work horse is killed (the worker sees it die) and
    when the whole worker is (the started-jobs registry finds it once its heartbeat lapses). Jobs are
    queued by the webhook's script and by `enqueue`, without a Retry; they get it here when read.
    """

    def restore(self, raw):
        super().restore(raw)
        if self.retries_left is None:
            self.retries_left, self.retry_intervals = len(RETRIES_AFTER_DEATH), list(RETRIES_AFTER_DEATH)


class RetryLater(Exception):
    """Raised by a job queued with `notify_retry`'s options, for RQ's Retry to run it after the next interval."""


def backoff(attempt: int, base: float) -> float:
    """Exponential backoff from `base` seconds, with up to a quarter more as jitter."""
    return base * (2 ** (attempt - 1)) * (1 + random.random() / 4)


def notify_retry(settings) -> dict:
    """`enqueue` options for a subscriber notification or confirmation: RQ's Retry, `notify_max_attempts`
    tries in all, the backoff capped at MAX_NOTIFY_DELAY. No server asks for a delay, so intervals fixed now
    are right."""
    attempts, base = settings.notify_max_attempts, settings.retry_base_seconds
    if attempts < 2:
        return {}
    intervals = [math.ceil(min(backoff(n, base), MAX_NOTIFY_DELAY)) for n in range(1, attempts)]
    return {"retry": Retry(max=attempts - 1, interval=intervals), "meta": {RETRIED_WHEN_RAISED: True}}


def only_deaths_are_retried(job, exc_type, exc_value, traceback) -> bool:
    """A worker exception handler: a job that raised gave its own answer (the forge-facing jobs retry their
    transient errors themselves), so RQ does not run it again; a job cut off by its timeout or abandoned
    is, and so is one queued with `notify_retry` that raised RetryLater."""
    death = issubclass(exc_type, (JobTimeoutException, AbandonedJobError))
    asked = issubclass(exc_type, RetryLater) and job.meta.get(RETRIED_WHEN_RAISED)
    if not (death or asked):
        job.retries_left = 0
    return True  # and on to RQ's own handler, which records the failure


def deliveries_queue(conn: redis.Redis) -> Queue:
    return Queue(DELIVERIES, connection=conn, serializer=JSONSerializer, job_class=DeskJob,
                 default_timeout=JOB_TIMEOUT_SECONDS)


def waiting_job_ids(conn: redis.Redis) -> set[str]:
    """The ids of the deliveries queue's jobs waiting to run: queued, or held by the scheduler for later."""
    return set(ScheduledJobRegistry(DELIVERIES, connection=conn).get_job_ids()) | set(
        deliveries_queue(conn).get_job_ids())


def deliveries_worker(conn: redis.Redis, worker_class: type[Worker] = WarmHorseWorker, **options) -> Worker:
    """The worker `incident-desk worker` runs: our job class, deaths retried, `options` passed to RQ.

    Its work horse stays warm from job to job (worker.horse), with RQ's fork-per-job guarantees kept."""
    return worker_class([deliveries_queue(conn)], connection=conn, serializer=JSONSerializer, job_class=DeskJob,
                        exception_handlers=[only_deaths_are_retried], **options)


def job_id(platform: str, scope: str, delivery_id: str) -> str:
    """One job per delivery per installation/project. RQ ids allow [A-Za-z0-9_-]; others are hashed."""
    raw = f"{scope}-{delivery_id}"
    safe = raw if _SAFE_ID.match(raw) else hashlib.sha256(raw.encode()).hexdigest()[:40]
    return f"{platform}-{safe}"


def retry_job_id(first_job_id: str, attempt: int) -> str:
    return f"{first_job_id.split('-retry')[0]}-retry{attempt - 1}"
