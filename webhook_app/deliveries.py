"""Accepting a delivery: claim its id, then queue its job and remember the id in one transaction."""
from __future__ import annotations

from incident_desk.settings import DELIVERY_TTL_SECONDS
from webhook_app.metrics import count_delivery
from worker.jobs import process_delivery
from worker.queue import KEY_PREFIX, deliveries_queue, job_id

QUEUED, DUPLICATE = "queued", "duplicate"
# How long a claim holds before it is either confirmed for 72 hours or, if this process died
# before queueing, lapses so the forge's redelivery is accepted instead of dropped.
CLAIM_SECONDS = 60


def delivery_key(platform: str, scope: str, delivery_id: str) -> str:
    return f"{KEY_PREFIX}:delivery:{platform}:{scope}:{delivery_id}"


def accept(conn, platform: str, scope: str, delivery_id: str, event_name: str, body: str,
           installation_id: int | None, queue=None) -> str:
    """Queue the delivery unless its id was seen in the last 72 hours.

    SET NX decides between copies arriving together; the job, the 72-hour key and the
    delivery count are then written in one MULTI/EXEC, so either all of them exist or none.
    """
    key = delivery_key(platform, scope, delivery_id)
    if not conn.set(key, "claimed", nx=True, ex=CLAIM_SECONDS):
        count_delivery(conn, platform, event_name, DUPLICATE)
        return DUPLICATE
    queue = queue or deliveries_queue(conn)
    try:
        with conn.pipeline(transaction=True) as pipe:
            queue.enqueue_call(
                process_delivery, args=(platform, delivery_id, event_name, body, installation_id),
                job_id=job_id(platform, scope, delivery_id), failure_ttl=30 * 24 * 3600,
                description=f"{platform} {event_name} {delivery_id}", pipeline=pipe)
            pipe.set(key, "queued", ex=DELIVERY_TTL_SECONDS)
            count_delivery(pipe, platform, event_name, QUEUED)
            pipe.execute()
    except Exception:
        conn.delete(key)  # let the forge's retry through
        raise
    return QUEUED
