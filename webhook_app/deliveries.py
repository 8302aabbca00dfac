"""Accepting a delivery: check its id and queue its job in one atomic step (one Lua script in Redis).

RQ's own enqueue was most of the ack path's cost, and one script makes a duplicate delivery one job;
the script writes the job hash RQ would (tests/flows/test_fast_enqueue.py). Why, in full: docs/ack-path.md.
"""
from __future__ import annotations

import weakref
import zlib
from datetime import UTC, datetime

import orjson
from redis.exceptions import NoScriptError
from rq.serializers import JSONSerializer

from incident_desk.settings import DELIVERY_TTL_SECONDS
from webhook_app.metrics import DELIVERIES_KEY, delivery_field
from worker.queue import KEY_PREFIX, deliveries_queue, job_id

QUEUED, DUPLICATE = "queued", "duplicate"
# By name: the web process never imports the handlers the job runs (the worker imports them).
PROCESS_DELIVERY = "worker.jobs.process_delivery"
PAYLOAD = object()  # in a job's arguments, where the request's JSON goes (see accept)
BACKLOG_TO_COMPRESS = 1000  # jobs waiting (about 15 MB uncompressed) before new jobs' data is compressed
FAILURE_TTL_SECONDS = 30 * 24 * 3600  # a failed delivery stays in RQ's failed registry for 30 days
# Per delivery; everything else in the job hash is the same for every delivery and is written into
# the script itself, so each call sends only these.
_PER_JOB_FIELDS = ("created_at", "enqueued_at", "data", "description")

ACCEPT_SCRIPT = """
-- KEYS: 1 delivery key, 2 job hash, 3 queue list, 4 RQ's set of queues, 5 delivery counters
-- ARGV: 1 job id, 2 seconds the delivery id is remembered, 3 counter field if queued,
--       4 counter field if duplicate, 5... this job's own hash fields as field, value pairs
-- Returns 0 for a duplicate, else the number of jobs now waiting in the queue.
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
    return 0
end
redis.call('HSET', KEYS[2], %(constant_fields)s, unpack(ARGV, 5))
local waiting = redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], KEYS[3])
-- The delivery key last: should a command above fail, the redelivery is still accepted.
redis.call('SET', KEYS[1], 'queued', 'EX', ARGV[2])
redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
return waiting
"""


def delivery_key(platform: str, scope: str, delivery_id: str) -> str:
    return f"{KEY_PREFIX}:delivery:{platform}:{scope}:{delivery_id}"


def _lua_string(value: bytes) -> str:
    """A Lua string literal holding exactly these bytes."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in value) + '"'


class _JobWriter:
    """Writes delivery jobs on one queue: the script with RQ's constant fields, and the keys."""

    def __init__(self, queue):
        if queue.serializer is not JSONSerializer:  # the job data below is JSON
            raise ValueError("delivery jobs are written for RQ's JSONSerializer")
        model = queue.create_job(PROCESS_DELIVERY, args=("github", "-", "-", {}, None), job_id="model",
                                 failure_ttl=FAILURE_TTL_SECONDS, description="-")
        encode = queue.connection.get_encoder().encode  # the bytes redis-py would send for each value
        constant = [_lua_string(encode(item)) for field, value in model.to_dict().items()
                    if field not in _PER_JOB_FIELDS for item in (field, value)]
        self.script = queue.connection.register_script(ACCEPT_SCRIPT % {"constant_fields": ", ".join(constant)})
        self.job_key_for = queue.job_class.key_for
        self.queue_key, self.queues_key = queue.key, queue.redis_queues_keys
        self.backlog = 0  # jobs waiting after this process's last delivery

    @staticmethod
    def job_data(function: str, args: tuple, body: bytes) -> bytes:
        """RQ's JSON job tuple [function, instance, args, kwargs] for function(*args), with `body` (a JSON
        text) where args holds PAYLOAD. The script's constant fields name no function (RQ keeps the
        function's name in the data), so one script queues every kind of job."""
        dumps = orjson.dumps
        return b"[%b,null,[%b],{}]" % (dumps(function), b",".join([body if arg is PAYLOAD else dumps(arg)
                                                                  for arg in args]))

    def job_fields(self, data: bytes, description: str) -> list:
        if self.backlog >= BACKLOG_TO_COMPRESS:
            data = zlib.compress(data, 1)  # about 100 µs for a 14 KB payload; a sixth of the memory
        # RQ's utcformat, by isoformat: strftime took 7 µs, a tenth of the Redis round trip.
        stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return ["created_at", stamp, "enqueued_at", stamp, "data", data, "description", description]


_writers: dict[int, tuple[weakref.ref, _JobWriter]] = {}  # by queue object: usually one per app


def _writer(queue) -> _JobWriter:
    entry = _writers.get(id(queue))
    if entry is None or entry[0]() is not queue:
        key = id(queue)
        entry = _writers[key] = (weakref.ref(queue, lambda _ref: _writers.pop(key, None)), _JobWriter(queue))
    return entry[1]


def accept(conn, platform: str, scope: str, delivery_id: str, event_name: str, body: bytes,
           installation_id: int | None, queue=None, *, function: str = PROCESS_DELIVERY,
           args: tuple | None = None) -> str:
    """Queue the delivery unless its id was seen in the last 72 hours; count it either way.

    `body` is the request's JSON object (its text, already parsed by the caller). The job is `function`
    (a dotted path) called with `args`, PAYLOAD among them standing for `body`; by default
    process_delivery(platform, delivery_id, event_name, payload, installation_id). Slack's requests
    name worker.chat_jobs.process_slack(kind, delivery_id, payload)."""
    writer = _writer(queue or deliveries_queue(conn))
    job = job_id(platform, scope, delivery_id)
    if args is None:
        args = (platform, delivery_id, event_name, PAYLOAD, installation_id)
    fields = writer.job_fields(writer.job_data(function, args, body), f"{platform} {event_name} {delivery_id}")
    keys = [delivery_key(platform, scope, delivery_id), writer.job_key_for(job), writer.queue_key,
            writer.queues_key, DELIVERIES_KEY]
    args = [job, DELIVERY_TTL_SECONDS, delivery_field(platform, event_name, QUEUED),
            delivery_field(platform, event_name, DUPLICATE), *fields]
    try:
        # EVALSHA itself: redis-py's Script wrapper cost 12 µs a call, and is needed only to load the script.
        waiting = conn.evalsha(writer.script.sha, len(keys), *keys, *args)
    except NoScriptError:  # a Redis that restarted or flushed its scripts
        waiting = writer.script(keys=keys, args=args, client=conn)
    if not waiting:
        return DUPLICATE
    writer.backlog = waiting
    return QUEUED
