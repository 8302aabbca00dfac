"""Accepting a delivery: check its id and queue its job in one atomic step (one Lua script in Redis).

The script writes the RQ job as `Queue.enqueue_call` would (the job hash, its id pushed on the queue
list, the queue in RQ's set of queues), plus the 72-hour delivery key and the delivery counter, in one
round trip; RQ's own enqueue (job object, zlib, a MULTI/EXEC after a separate SET NX) was most of the
ack path's cost. Redis runs a script alone, so two copies arriving together still make one job, and a
web process that dies before or after the script leaves nothing or everything: the forge's redelivery
is then queued, or is a duplicate of a job that exists. tests/test_fast_enqueue.py holds the job to
RQ's own, field by field.

The hash fields that are the same for every delivery come from RQ (`Job.to_dict` of a job made by
`Queue.create_job`, once per queue) and are written into the script's text; each call sends only the
job's data, times and description. The data is the JSON job tuple, not zlib-compressed as RQ does it:
RQ's `Job.restore` reads uncompressed data as it is, and the worker compresses it when it saves the job
after running it. Compressing a 14 KB payload took longer than the Redis round trip; the price is
memory: a job waiting in the queue holds its payload at full size (about 15 KB instead of 2 KB).
"""
from __future__ import annotations

import weakref

from rq.utils import now, utcformat

from incident_desk.settings import DELIVERY_TTL_SECONDS
from webhook_app.metrics import DELIVERIES_KEY, delivery_field
from worker.jobs import process_delivery
from worker.queue import KEY_PREFIX, deliveries_queue, job_id

QUEUED, DUPLICATE = "queued", "duplicate"
FAILURE_TTL_SECONDS = 30 * 24 * 3600  # a failed delivery stays in RQ's failed registry for 30 days
# Per delivery; everything else in the job hash is the same for every delivery and is written into
# the script itself, so each call sends only these.
_PER_JOB_FIELDS = ("created_at", "enqueued_at", "data", "description")

ACCEPT_SCRIPT = """
-- KEYS: 1 delivery key, 2 job hash, 3 queue list, 4 RQ's set of queues, 5 delivery counters
-- ARGV: 1 job id, 2 seconds the delivery id is remembered, 3 counter field if queued,
--       4 counter field if duplicate, 5... this job's own hash fields as field, value pairs
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
    return 0
end
redis.call('HSET', KEYS[2], %(constant_fields)s, unpack(ARGV, 5))
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], KEYS[3])
-- The delivery key last: should a command above fail, the redelivery is still accepted.
redis.call('SET', KEYS[1], 'queued', 'EX', ARGV[2])
redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
return 1
"""


def delivery_key(platform: str, scope: str, delivery_id: str) -> str:
    return f"{KEY_PREFIX}:delivery:{platform}:{scope}:{delivery_id}"


def _lua_string(value: bytes) -> str:
    """A Lua string literal holding exactly these bytes."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in value) + '"'


class _JobWriter:
    """Writes delivery jobs on one queue: the script with RQ's constant fields, the keys, the serializer."""

    def __init__(self, queue):
        model = queue.create_job(process_delivery, args=("github", "-", "-", "{}", None), job_id="model",
                                 failure_ttl=FAILURE_TTL_SECONDS, description="-")
        encode = queue.connection.get_encoder().encode  # the bytes redis-py would send for each value
        constant = [_lua_string(encode(item)) for field, value in model.to_dict().items()
                    if field not in _PER_JOB_FIELDS for item in (field, value)]
        self.script = queue.connection.register_script(ACCEPT_SCRIPT % {"constant_fields": ", ".join(constant)})
        self.func_name = model.func_name
        self.job_key_for = queue.job_class.key_for
        self.queue_key, self.queues_key = queue.key, queue.redis_queues_keys
        self.serializer = queue.serializer

    def job_fields(self, args: tuple, description: str) -> list:
        stamp = utcformat(now())
        data = self.serializer.dumps((self.func_name, None, args, {}))
        return ["created_at", stamp, "enqueued_at", stamp, "data", data, "description", description]


_writers: dict[int, tuple[weakref.ref, _JobWriter]] = {}  # by queue object: usually one per app


def _writer(queue) -> _JobWriter:
    entry = _writers.get(id(queue))
    if entry is None or entry[0]() is not queue:
        key = id(queue)
        entry = _writers[key] = (weakref.ref(queue, lambda _ref: _writers.pop(key, None)), _JobWriter(queue))
    return entry[1]


def accept(conn, platform: str, scope: str, delivery_id: str, event_name: str, body: str,
           installation_id: int | None, queue=None) -> str:
    """Queue the delivery unless its id was seen in the last 72 hours; count it either way."""
    writer = _writer(queue or deliveries_queue(conn))
    job = job_id(platform, scope, delivery_id)
    fields = writer.job_fields((platform, delivery_id, event_name, body, installation_id),
                               f"{platform} {event_name} {delivery_id}")
    queued = writer.script(
        keys=[delivery_key(platform, scope, delivery_id), writer.job_key_for(job), writer.queue_key,
              writer.queues_key, DELIVERIES_KEY],
        args=[job, DELIVERY_TTL_SECONDS, delivery_field(platform, event_name, QUEUED),
              delivery_field(platform, event_name, DUPLICATE), *fields],
        client=conn)
    return QUEUED if queued else DUPLICATE
