"""Queue names and connections. Jobs take only primitives, serialized as JSON (never pickle)."""
from __future__ import annotations

import functools
import hashlib
import re

import redis
from rq import Queue
from rq.serializers import JSONSerializer

DELIVERIES = "incident-desk-deliveries"
KEY_PREFIX = "incident-desk"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@functools.lru_cache(maxsize=8)
def connection(redis_url: str, socket_timeout: float | None = None) -> redis.Redis:
    """A shared client. Workers block on the queue, so only the web process sets a socket timeout."""
    return redis.Redis.from_url(redis_url, health_check_interval=30, socket_timeout=socket_timeout,
                                socket_connect_timeout=5)


def deliveries_queue(conn: redis.Redis) -> Queue:
    return Queue(DELIVERIES, connection=conn, serializer=JSONSerializer)


def job_id(platform: str, scope: str, delivery_id: str) -> str:
    """One job per delivery per installation/project. RQ ids allow [A-Za-z0-9_-]; others are hashed."""
    raw = f"{scope}-{delivery_id}"
    safe = raw if _SAFE_ID.match(raw) else hashlib.sha256(raw.encode()).hexdigest()[:40]
    return f"{platform}-{safe}"


def retry_job_id(first_job_id: str, attempt: int) -> str:
    return f"{first_job_id.split('-retry')[0]}-retry{attempt - 1}"
