"""The delivery job: normalize a webhook payload and run its handlers, retrying transient forge errors."""
from __future__ import annotations

import contextlib
import json
import logging
import threading
import time

from redis.exceptions import LockError

from forges.normalize import normalize
from handlers import router
from handlers.router import ignored
from incident_desk.logs import log_event
from worker.bootstrap import Runtime, forge_for, open_context, runtime
from worker.maintenance_jobs import arm_now_and_then
from worker.queue import JOBS_METRIC, KEY_PREFIX
from worker.retry import is_transient, log_reason, retry_delay, retry_later

__all__ = ["LOCK_SECONDS", "incident_lock", "process_delivery"]

log = logging.getLogger("incident_desk.worker")
# The incident lock's lease. It is renewed while the job runs, so a long comment keeps it to the end,
# and the lock of a worker that died lapses within this many seconds.
LOCK_SECONDS = 20


def process_delivery(platform: str, delivery_id: str, event_name: str, payload: dict | str,
                     installation_id: int | None = None, attempt: int = 1) -> str:
    """Run the handlers for one webhook delivery. Safe to run twice: every effect is idempotent."""
    started = time.monotonic()
    rt = runtime()
    said = dict(delivery_id=delivery_id, platform=platform, event=event_name)
    if isinstance(payload, str):  # jobs queued before the ack path wrote the payload as a JSON object
        payload = json.loads(payload)
    try:
        events = [e for e in normalize(platform, event_name, payload, delivery_id) if router.handlers_for(e)]
    except Exception as exc:  # a payload the schemas refuse: said in the product's own log, not only RQ's
        count_job(rt.conn, platform, event_name, "failed")
        log_event(log, **said, outcome="failed", attempt=attempt, reason=log_reason(exc),
                  duration_ms=_ms(started))
        raise
    try:
        ran = _run_handlers(rt, platform, installation_id, events, lambda problem: log_event(
            log, delivery_id=delivery_id, platform=platform, outcome="status-page-refused", reason=str(problem)))
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            count_job(rt.conn, platform, event_name, "failed")
            log_event(log, **said, outcome="failed", attempt=attempt, reason=log_reason(exc), duration_ms=_ms(started))
            raise  # RQ keeps it in the failed registry with this reason
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        retry_later(rt.conn, process_delivery, (platform, delivery_id, event_name, payload, installation_id),
                    attempt, delay)
        log_event(log, **said, outcome="retry", attempt=attempt, retry_in_s=round(delay, 2), reason=log_reason(exc),
                  duration_ms=_ms(started))
        return "retry scheduled"
    outcome = "ignored" if ran is None else "processed"
    count_job(rt.conn, platform, event_name, outcome)
    arm_now_and_then(rt.conn, rt.store)  # scheduled maintenance whose jobs Redis lost (issue 18)
    if ran is None:
        return "ignored"
    log_event(log, **said, outcome=outcome, handlers=ran, attempt=attempt, duration_ms=_ms(started))
    return f"{ran} handler(s)"


def _run_handlers(rt: Runtime, platform: str, installation_id: int | None, events: list, page_problem) -> int | None:
    """Dispatch the delivery's events in one handler context; None when none of them is ours to handle.
    A problem with the status page the config declares goes to `page_problem`, and to the incident."""
    if not events:
        return None
    forge = forge_for(rt, platform, installation_id)
    events = [e for e in events if not ignored(e, forge)]
    if not events:
        return None
    ctx = open_context(rt, forge, events[0].repository, page_problem)
    ran, already_run = 0, set()
    for event in events:
        # One incident at a time: two deliveries for the same issue must not both create a summary.
        with incident_lock(rt.conn, f"{KEY_PREFIX}:lock:{platform}:{event.repository}:{event.number}"):
            ran += router.dispatch(event, ctx, already_run)
    return ran


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


def count_job(conn, platform: str, name: str, outcome: str) -> None:
    """One more job of this platform and event (or job kind) with this outcome, for /metrics."""
    conn.hincrby(JOBS_METRIC, f"{platform}|{name}|{outcome}", 1)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
