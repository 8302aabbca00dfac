"""The delivery job: normalize a webhook payload and run its handlers, retrying transient forge errors."""
from __future__ import annotations

import contextlib
import functools
import json
import logging
import random
import threading
import time
from dataclasses import replace
from datetime import timedelta

from forges import build_forge
from forges.errors import TransientForgeError
from forges.normalize import normalize
from handlers import router
from handlers.router import ignored
from incident_desk.logs import log_event
from incident_desk.settings import Settings
from redis.exceptions import LockError
from rq import get_current_job

from store import Store
from store import is_transient as database_trouble
from handlers.publication import keep_page
from worker.blog import request_blog_draft
from worker.notify import announce
from worker.permissions import Permissions
from worker.reminders import schedule_reminder
from worker.repo_config import load_repository_config
from worker.queue import KEY_PREFIX, connection, deliveries_queue, retry_job_id

log = logging.getLogger("incident_desk.worker")
# The incident lock's lease. It is renewed while the job runs, so a long comment keeps it to the end,
# and the lock of a worker that died lapses within this many seconds.
LOCK_SECONDS = 20


@functools.lru_cache(maxsize=4)
def store_for(database_url: str) -> Store:
    return Store(database_url)


def process_delivery(platform: str, delivery_id: str, event_name: str, payload: dict | str,
                     installation_id: int | None = None, attempt: int = 1) -> str:
    """Run the handlers for one webhook delivery. Safe to run twice: every effect is idempotent."""
    started = time.monotonic()
    settings = Settings.from_env()
    conn = connection(settings.redis_url)
    if isinstance(payload, str):  # jobs queued before the ack path wrote the payload as a JSON object
        payload = json.loads(payload)
    try:
        events = [e for e in normalize(platform, event_name, payload, delivery_id) if router.handlers_for(e)]
    except Exception as exc:  # a payload the schemas refuse: said in the product's own log, not only RQ's
        _count(conn, platform, event_name, "failed")
        log_event(log, delivery_id=delivery_id, platform=platform, event=event_name, outcome="failed",
                  attempt=attempt, reason=f"{exc.__class__.__name__}: {exc}"[:500], duration_ms=_ms(started))
        raise
    if not events:
        _count(conn, platform, event_name, "ignored")
        return "ignored"
    ran = 0
    try:
        forge = build_forge(platform, settings, installation_id)
        events = [e for e in events if not ignored(e, forge)]
        if not events:
            _count(conn, platform, event_name, "ignored")
            return "ignored"
        config = load_repository_config(forge, events[0].repository, conn)
        forge.use_config(config.config.labels)
        store = store_for(settings.database_url)
        problem = keep_page(store, platform, events[0].repository, config.config)
        if problem:  # told on the incident issue with the config's other problems, once per file version
            log_event(log, delivery_id=delivery_id, platform=platform, outcome="status-page-refused",
                      reason=str(problem))
            config = replace(config, errors=(*config.errors, problem))
        deps = dict(
            store=store, config=config, announce=lambda update_id: announce(conn, update_id),
            permissions=Permissions(forge, conn, config.config),
            schedule_reminder=lambda incident, delay: schedule_reminder(conn, incident, delay),
            request_blog_draft=lambda incident: request_blog_draft(conn, incident),
            config_for=lambda repository: load_repository_config(forge, repository, conn),
        )
        already_run: set = set()
        for event in events:
            # One incident at a time: two deliveries for the same issue must not both create a summary.
            with incident_lock(conn, f"{KEY_PREFIX}:lock:{platform}:{event.repository}:{event.number}"):
                ran += router.dispatch(event, forge, already_run, **deps)
    except Exception as exc:
        if not is_transient(exc) or attempt >= settings.max_attempts:
            _count(conn, platform, event_name, "failed")
            reason = str(exc) if isinstance(exc, TransientForgeError) else f"{exc.__class__.__name__}: {exc}"
            log_event(log, delivery_id=delivery_id, platform=platform, event=event_name, outcome="failed",
                      attempt=attempt, reason=reason, duration_ms=_ms(started))
            raise  # RQ keeps it in the failed registry with this reason
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), settings.retry_base_seconds)
        retry_later(conn, process_delivery, (platform, delivery_id, event_name, payload, installation_id),
                    attempt, delay)
        log_event(log, delivery_id=delivery_id, platform=platform, event=event_name, outcome="retry",
                  attempt=attempt, retry_in_s=round(delay, 2), reason=str(exc), duration_ms=_ms(started))
        return "retry scheduled"
    _count(conn, platform, event_name, "processed")
    log_event(log, delivery_id=delivery_id, platform=platform, event=event_name, outcome="processed",
              handlers=ran, attempt=attempt, duration_ms=_ms(started))
    return f"{ran} handler(s)"


def is_transient(error: BaseException) -> bool:
    """Worth another try later: a forge's 5xx, rate limit or dropped connection, or a locked or
    unreachable database."""
    return isinstance(error, TransientForgeError) or database_trouble(error)


@contextlib.contextmanager
def incident_lock(conn, name: str):
    """Hold the incident's lock while the block runs, however long: a thread renews its lease every
    third of LOCK_SECONDS. Waits for another job holding it (that job renews it only while alive)."""
    lock = conn.lock(name, timeout=LOCK_SECONDS, thread_local=False)  # the renewing thread needs the token
    lock.acquire()
    done = threading.Event()

    def renew():
        while not done.wait(LOCK_SECONDS / 3):
            try:
                lock.reacquire()
            except LockError:  # lapsed meanwhile (Redis unreachable past the lease): nothing left to renew
                return

    renewer = threading.Thread(target=renew, name="incident-lock", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        lock.release()


def retry_delay(attempt: int, retry_after: float | None, base: float) -> float:
    """Exponential backoff with jitter, but never sooner than the forge asked (Retry-After / reset)."""
    backoff = base * (2 ** (attempt - 1)) * (1 + random.random() / 4)
    return max(backoff, retry_after or 0.0)


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


def _count(conn, platform: str, event_name: str, outcome: str) -> None:
    conn.hincrby(f"{KEY_PREFIX}:metrics:jobs", f"{platform}|{event_name}|{outcome}", 1)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
