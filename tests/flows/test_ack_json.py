"""The ack path's JSON: parsed by orjson, with Python's json module deciding what orjson refuses, and
queued as the body's own bytes. What the worker reads must be what the forge sent."""
from __future__ import annotations

import json

from rq.job import JobStatus

from tests.flows.test_declare import declare_on_github, github_issue
from tests.support import load_fixture, post_github, run_worker
from worker.jobs import process_delivery
from worker.queue import deliveries_queue


def queued_payloads(redis_conn):
    return [job.args[3] for job in deliveries_queue(redis_conn).jobs]


def test_a_truncated_emoji_is_queued_and_the_incident_declared(client, redis_conn, store, api):
    """A lone surrogate escape (an emoji cut in half) is JSON Python reads but orjson refuses."""
    payload = github_issue(title="DB down \ud83d")
    body = json.dumps(payload).encode()
    assert b"\\ud83d" in body
    response = post_github(client, "issues", body)
    assert (response.status_code, response.json["outcome"]) == (202, "queued")
    assert queued_payloads(redis_conn) == [payload]

    deliveries_queue(redis_conn).empty()
    declare_on_github(client, redis_conn, api, payload)
    assert store.get_incident("github", "Codertocat/Hello-World", 1).title == "DB down \ufffd"


def test_the_job_holds_the_body_as_sent(client, redis_conn):
    """Key order, spacing and unicode escapes as the forge wrote them: nothing is encoded again."""
    payload = load_fixture("github", "issues__opened")
    payload["issue"]["title"] = "Paiement refusé 💳"
    body = json.dumps(payload, indent=2, ensure_ascii=True).encode()
    assert post_github(client, "issues", body, delivery_id="as-sent").json["outcome"] == "queued"

    [job] = deliveries_queue(redis_conn).jobs
    assert body in redis_conn.hget(job.key, "data")
    assert job.args[3]["issue"]["title"] == "Paiement refusé 💳"


def test_nesting_deeper_than_any_parser_allows_is_400(client, redis_conn):
    body = b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = post_github(client, "issues", body)
    assert (response.status_code, response.json["outcome"]) == (400, "malformed-json")
    assert queued_payloads(redis_conn) == []


def test_json_that_is_not_an_object_is_400(client, redis_conn):
    for body in (b"[1, 2]", b'"text"', b"NaN", b"{\"a\": 1"):
        response = post_github(client, "issues", body)
        assert (response.status_code, response.json["outcome"]) == (400, "malformed-json"), body
    assert queued_payloads(redis_conn) == []


def test_a_job_queued_before_this_version_still_runs(client, redis_conn):
    """Jobs queued by the previous ack path carry the payload as JSON text; an upgrade must not lose them."""
    payload = load_fixture("github", "issues__opened")
    payload["action"] = "milestoned"  # handled event, no handler: runs without forge calls
    job = deliveries_queue(redis_conn).enqueue_call(
        process_delivery, args=("github", "old-1", "issues", json.dumps(payload), None), job_id="old-1")

    assert run_worker(redis_conn)
    job.refresh()
    assert job.get_status() is JobStatus.FINISHED and job.return_value() == "ignored"


def test_a_log_line_with_a_lone_surrogate_is_still_one_json_line(capsys):
    import logging

    from incident_desk.logs import configure, log_event

    configure()
    log_event(logging.getLogger("incident_desk.test"), outcome="failed", reason="title 'DB down \ud83d'")
    [line] = capsys.readouterr().err.splitlines()
    assert json.loads(line) == {"outcome": "failed", "reason": "title 'DB down \ud83d'"}


def test_a_body_nested_past_what_the_worker_reads_is_400(client, redis_conn):
    """Issue 13 item 8: 500-1000 levels passed the receiver and then failed in the worker."""
    from forges.normalize import MAX_NESTING

    for depth in (MAX_NESTING, 500, 1000):
        payload = github_issue()
        payload["issue"]["extra"] = "NESTED"
        body = json.dumps(payload).encode().replace(b'"NESTED"', b"[" * depth + b"]" * depth)
        response = post_github(client, "issues", body)
        assert (response.status_code, response.json["outcome"]) == (400, "too-deep"), depth
    assert queued_payloads(redis_conn) == []


def test_what_the_receiver_accepts_at_the_nesting_limit_the_worker_processes(client, redis_conn, store, api):
    """Issue 13 item 8: the deepest body the receiver queues still declares the incident."""
    from forges.normalize import MAX_NESTING

    payload = github_issue()
    payload["extra"] = json.loads("[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1))  # MAX_NESTING in all
    declare_on_github(client, redis_conn, api, payload)
    assert store.get_incident("github", "Codertocat/Hello-World", 1) is not None
    assert deliveries_queue(redis_conn).failed_job_registry.count == 0


def test_a_payload_the_worker_refuses_is_said_in_the_product_log(client, redis_conn, caplog):
    """Issue 13 item 8: a job that failed in normalization left nothing in the product's own log."""
    import logging

    assert post_github(client, "issues", {"action": "opened", "issue": "not an object"}).status_code == 202
    with caplog.at_level(logging.INFO, logger="incident_desk.worker"):
        run_worker(redis_conn)
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "incident_desk.worker"]
    assert line["outcome"] == "failed" and "PayloadError" in line["reason"]
    assert deliveries_queue(redis_conn).failed_job_registry.count == 1
