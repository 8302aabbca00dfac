"""The ack path writes the delivery's RQ job itself, in one Lua script (webhook_app.deliveries).

These tests hold it to the job RQ's own `Queue.enqueue_call` writes, field by field, and run it
with a real RQ worker. If an RQ upgrade changes how jobs are stored, they fail here first.
"""
from __future__ import annotations

import json
import zlib
from datetime import timedelta

from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.utils import utcparse

from tests.support import load_fixture, post_github, run_worker
from webhook_app.deliveries import FAILURE_TTL_SECONDS, accept
from webhook_app.metrics import JOBS_KEY
from worker.jobs import process_delivery
from worker.queue import job_id

PAYLOAD = load_fixture("github", "issues__opened")
BODY = json.dumps(PAYLOAD, indent=1).encode()  # as a forge sends it: the ack path queues these bytes as they are
TIMES = ("created_at", "enqueued_at")


def both_ways(app, redis_conn, installation_id=None) -> tuple[str, str]:
    """The same delivery queued by RQ's enqueue_call and by the ack path; their job ids."""
    queue = app.extensions["queue"]
    args = ("github", "d-1", "issues", PAYLOAD, installation_id)
    made_by_rq = queue.enqueue_call(process_delivery, args=args, job_id="made-by-rq",
                                    failure_ttl=FAILURE_TTL_SECONDS, description="github issues d-1")
    assert accept(redis_conn, "github", "42", "d-1", "issues", BODY, installation_id, queue) == "queued"
    return made_by_rq.id, job_id("github", "42", "d-1")


def test_the_job_hash_is_the_one_rq_writes(app, redis_conn):
    theirs_id, ours_id = both_ways(app, redis_conn)
    theirs, ours = (redis_conn.hgetall(Job.key_for(i)) for i in (theirs_id, ours_id))

    assert ours.keys() == theirs.keys()
    same = {field for field in theirs if field.decode() not in ("data", *TIMES)}
    assert {f: ours[f] for f in same} == {f: theirs[f] for f in same}  # origin, status, timeouts, ttls, ...
    # RQ compresses the data, the ack path does not (RQ reads both). The job tuple is the same; the
    # payload inside it is the body's own bytes, which RQ would have encoded again.
    assert json.loads(ours[b"data"]) == json.loads(zlib.decompress(theirs[b"data"]))
    assert BODY in ours[b"data"]
    for field in TIMES:
        assert abs(utcparse(ours[field.encode()].decode()) - utcparse(theirs[field.encode()].decode())) \
            < timedelta(seconds=5)
    assert redis_conn.ttl(Job.key_for(ours_id)) == redis_conn.ttl(Job.key_for(theirs_id)) == -1


def test_rq_reads_back_the_same_job(app, redis_conn):
    theirs_id, ours_id = both_ways(app, redis_conn, installation_id=7)
    theirs, ours = (Job.fetch(i, connection=redis_conn, serializer=JSONSerializer) for i in (theirs_id, ours_id))

    def seen_by_rq(job):
        return (job.func_name, job.args, job.kwargs, job.origin, job.get_status(), job.description, job.timeout,
                job.failure_ttl, job.result_ttl, job.ttl, job.retries_left, job.dependency_ids, job.meta)

    assert seen_by_rq(ours) == seen_by_rq(theirs)
    assert ours.args == ["github", "d-1", "issues", PAYLOAD, 7]  # primitives only, as JSON
    assert ours.get_status() is JobStatus.QUEUED


def test_the_job_is_queued_like_rqs(app, redis_conn):
    queue = app.extensions["queue"]
    theirs_id, ours_id = both_ways(app, redis_conn)
    assert queue.job_ids == [theirs_id, ours_id]
    assert queue.key.encode() in redis_conn.smembers(queue.redis_queues_keys)  # workers find the queue


def test_a_real_worker_runs_the_job(client, redis_conn):
    payload = load_fixture("github", "issues__opened")
    payload["action"] = "milestoned"  # a handled event no handler wants: runs without forge calls
    assert post_github(client, "issues", payload, delivery_id="run-1").json["outcome"] == "queued"

    assert run_worker(redis_conn)
    job = Job.fetch(job_id("github", "186853002", "run-1"), connection=redis_conn, serializer=JSONSerializer)
    assert job.get_status() is JobStatus.FINISHED
    assert job.return_value() == "ignored"
    assert redis_conn.hget(JOBS_KEY, "github|issues|ignored") == b"1"
    zlib.decompress(redis_conn.hget(job.key, "data"))  # RQ compressed the data when it saved the finished job


def test_constant_fields_reach_redis_byte_for_byte(redis_conn):
    """The script carries RQ's constant fields as Lua literals; any bytes must survive the quoting."""
    from webhook_app.deliveries import _lua_string

    value = bytes(range(256)) + b'"\\]]--[[x'
    assert redis_conn.eval(f"return {_lua_string(value)}", 0) == value


def test_the_ack_path_keeps_one_connection_per_process(redis_conn, monkeypatch):
    import os

    from worker.queue import pinned

    client = pinned(redis_conn)
    assert pinned(redis_conn) is client and client.connection_pool is redis_conn.connection_pool
    assert client.ping()
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a process forked from this one
    assert pinned(redis_conn) is not client


def test_a_redis_that_forgot_the_script_still_queues(app, redis_conn):
    """A restarted or flushed Redis answers NOSCRIPT; the ack path loads the script again."""
    queue = app.extensions["queue"]
    assert accept(redis_conn, "github", "42", "before-flush", "issues", BODY, None, queue) == "queued"
    redis_conn.script_flush()
    assert accept(redis_conn, "github", "42", "after-flush", "issues", BODY, None, queue) == "queued"
    assert accept(redis_conn, "github", "42", "after-flush", "issues", BODY, None, queue) == "duplicate"
    assert queue.job_ids == [job_id("github", "42", "before-flush"), job_id("github", "42", "after-flush")]


def test_a_backlog_compresses_new_jobs_until_the_workers_catch_up(client, redis_conn, monkeypatch):
    """Jobs hold payloads uncompressed (fast), until the queue grows long: then as RQ stores them."""
    import webhook_app.deliveries as deliveries

    monkeypatch.setattr(deliveries, "BACKLOG_TO_COMPRESS", 2)
    payload = load_fixture("github", "issues__opened")
    payload["action"] = "milestoned"  # a handled event no handler wants: runs without forge calls

    def post(delivery_id):
        assert post_github(client, "issues", payload, delivery_id=delivery_id).json["outcome"] == "queued"
        return redis_conn.hget(Job.key_for(job_id("github", "186853002", delivery_id)), "data")

    stored = [post(f"b-{n}") for n in range(4)]
    assert [data.startswith(b"[") for data in stored] == [True, True, False, False]  # 2 waiting from the third
    assert json.loads(zlib.decompress(stored[3]))[2][3] == payload

    assert run_worker(redis_conn)
    for n in range(4):
        job = Job.fetch(job_id("github", "186853002", f"b-{n}"), connection=redis_conn, serializer=JSONSerializer)
        assert job.get_status() is JobStatus.FINISHED and job.args[3] == payload
    assert not post("b-4").startswith(b"[")  # this process last saw 4 waiting
    assert post("b-5").startswith(b"[")  # the workers caught up: fast again
