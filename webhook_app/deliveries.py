"""Accepting a delivery: remember its id and queue its job as one step, or neither."""
from __future__ import annotations

from incident_desk.settings import DELIVERY_TTL_SECONDS
from worker.jobs import process_delivery
from worker.queue import KEY_PREFIX, deliveries_queue, job_id

QUEUED, DUPLICATE = "queued", "duplicate"


def delivery_key(platform: str, scope: str, delivery_id: str) -> str:
    return f"{KEY_PREFIX}:delivery:{platform}:{scope}:{delivery_id}"


def accept(conn, platform: str, scope: str, delivery_id: str, event_name: str, body: str,
           installation_id: int | None) -> str:
    """Queue the delivery unless its id was seen in the last 72 hours.

    SET NX decides, so two copies arriving together still make one job; if queueing then
    fails the key is removed again, so the forge's redelivery is not mistaken for a duplicate.
    """
    key = delivery_key(platform, scope, delivery_id)
    if not conn.set(key, "1", nx=True, ex=DELIVERY_TTL_SECONDS):
        return DUPLICATE
    try:
        deliveries_queue(conn).enqueue(
            process_delivery, platform, delivery_id, event_name, body, installation_id,
            job_id=job_id(platform, scope, delivery_id), failure_ttl=30 * 24 * 3600,
            description=f"{platform} {event_name} {delivery_id}")
    except Exception:
        conn.delete(key)
        raise
    return QUEUED
