"""Queue names and connections. Jobs take only primitives, serialized as JSON (never pickle)."""
from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
import weakref

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


def deliveries_queue(conn: redis.Redis) -> Queue:
    return Queue(DELIVERIES, connection=conn, serializer=JSONSerializer)


def job_id(platform: str, scope: str, delivery_id: str) -> str:
    """One job per delivery per installation/project. RQ ids allow [A-Za-z0-9_-]; others are hashed."""
    raw = f"{scope}-{delivery_id}"
    safe = raw if _SAFE_ID.match(raw) else hashlib.sha256(raw.encode()).hexdigest()[:40]
    return f"{platform}-{safe}"


def retry_job_id(first_job_id: str, attempt: int) -> str:
    return f"{first_job_id.split('-retry')[0]}-retry{attempt - 1}"
