"""The receiver: verify, dedupe, enqueue, answer. Real payloads, real signatures, real Redis."""
from __future__ import annotations

import contextlib
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from rq.serializers import JSONSerializer

from tests.support import GITLAB_SECRET, load_fixture, post_github, post_gitlab
from worker.queue import deliveries_queue


def queued(redis_conn):
    return deliveries_queue(redis_conn).get_jobs()


def test_signed_github_delivery_is_queued_with_a_job_id_from_the_delivery_id(client, redis_conn):
    response = post_github(client, "issues", load_fixture("github", "issues__opened"), delivery_id="d-1")
    assert response.status_code == 202
    assert response.json == {"outcome": "queued", "delivery_id": "d-1"}
    [job] = queued(redis_conn)
    assert job.id == "github-186853002-d-1"  # repository id scopes repository webhooks
    platform, delivery_id, event, payload, installation = job.args
    assert (platform, delivery_id, event, installation) == ("github", "d-1", "issues", None)
    assert payload == load_fixture("github", "issues__opened")
    assert job.serializer is JSONSerializer  # primitives as JSON, never pickle


def test_wrong_secret_is_401_and_nothing_is_queued(client, redis_conn):
    response = post_github(client, "issues", load_fixture("github", "issues__opened"), secret="not-the-secret")
    assert response.status_code == 401
    assert queued(redis_conn) == []


def test_missing_signature_is_401(client, redis_conn):
    response = post_github(client, "issues", load_fixture("github", "issues__opened"),
                           **{"X-Hub-Signature-256": None})
    assert response.status_code == 401
    assert queued(redis_conn) == []


def test_truncated_json_with_a_valid_signature_is_400(client, redis_conn):
    body = json.dumps(load_fixture("github", "issues__opened")).encode()[:500]
    assert post_github(client, "issues", body).status_code == 400
    assert queued(redis_conn) == []


def test_missing_event_or_delivery_header_is_400(client, redis_conn):
    payload = load_fixture("github", "issues__opened")
    assert post_github(client, "issues", payload, **{"X-GitHub-Event": None}).status_code == 400
    assert post_github(client, "issues", payload, **{"X-GitHub-Delivery": None}).status_code == 400
    assert queued(redis_conn) == []


def test_same_delivery_twice_makes_one_job(client, redis_conn):
    payload = load_fixture("github", "issues__opened")
    first = post_github(client, "issues", payload, delivery_id="dup-1")
    second = post_github(client, "issues", payload, delivery_id="dup-1")
    assert (first.status_code, first.json["outcome"]) == (202, "queued")
    assert (second.status_code, second.json["outcome"]) == (202, "duplicate")
    assert len(queued(redis_conn)) == 1


def test_copies_arriving_together_make_one_job(app, redis_conn):
    payload = load_fixture("github", "issues__opened")

    def send(_):
        return post_github(app.test_client(), "issues", payload, delivery_id="race-1").json["outcome"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(send, range(16)))
    assert outcomes.count("queued") == 1
    assert outcomes.count("duplicate") == 15
    assert len(queued(redis_conn)) == 1


def test_same_delivery_id_in_another_installation_is_not_a_duplicate(client, redis_conn):
    one, two = load_fixture("github", "issues__opened"), load_fixture("github", "issues__opened")
    one["installation"] = {"id": 111, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMTEx"}
    two["installation"] = {"id": 222, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMjIy"}
    assert post_github(client, "issues", one, delivery_id="same").json["outcome"] == "queued"
    assert post_github(client, "issues", two, delivery_id="same").json["outcome"] == "queued"
    assert {job.args[4] for job in queued(redis_conn)} == {111, 222}


def test_ping_answers_pong_and_queues_nothing(client, redis_conn):
    response = post_github(client, "ping", load_fixture("github", "ping"))
    assert (response.status_code, response.json["outcome"]) == (200, "pong")
    assert queued(redis_conn) == []


def test_unhandled_events_are_acknowledged_and_ignored(client, redis_conn):
    for event, fixture in (("star", "ping"), ("deployment", "ping")):
        response = post_github(client, event, load_fixture("github", fixture))
        assert (response.status_code, response.json["outcome"]) == (202, "ignored")
    assert queued(redis_conn) == []


def test_body_over_25_mb_is_413(client, redis_conn):
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = post_github(client, "issues", body)
    assert response.status_code == 413
    assert queued(redis_conn) == []


def test_odd_payloads_never_crash_the_receiver(client, redis_conn):
    for body in (b"", b"null", b"[1,2]", b'"text"', "{\"é\": \"\u2603\"}".encode(), b"\xff\xfe{}"):
        response = post_github(client, "issues", body)
        assert response.status_code in (202, 400), body
    # A JSON object of the wrong shape is queued; the worker rejects it with a clear reason.
    assert len(queued(redis_conn)) == 1


def test_gitlab_delivery_with_the_token_is_queued(client, redis_conn):
    response = post_gitlab(client, "Issue Hook", load_fixture("gitlab", "issue__open"), delivery_id="uuid-1")
    assert (response.status_code, response.json["outcome"]) == (202, "queued")
    [job] = queued(redis_conn)
    assert job.args[:3] == ["gitlab", "uuid-1", "Issue Hook"]


def test_gitlab_wrong_or_missing_token_is_401(client, redis_conn):
    payload = load_fixture("gitlab", "issue__open")
    assert post_gitlab(client, "Issue Hook", payload, token="wrong").status_code == 401
    assert post_gitlab(client, "Issue Hook", payload, token=None).status_code == 401
    assert queued(redis_conn) == []


def test_gitlab_retries_share_the_idempotency_key(client, redis_conn):
    payload = load_fixture("gitlab", "note__issue")
    first = post_gitlab(client, "Note Hook", payload, delivery_id="event-a", **{"Idempotency-Key": "key-1"})
    retry = post_gitlab(client, "Note Hook", payload, delivery_id="event-b", **{"Idempotency-Key": "key-1"})
    assert (first.json["outcome"], retry.json["outcome"]) == ("queued", "duplicate")
    assert first.json["delivery_id"] == "key-1"


def test_gitlab_missing_event_header_is_400(client):
    assert post_gitlab(client, "Issue Hook", load_fixture("gitlab", "issue__open"),
                       **{"X-Gitlab-Event": None}).status_code == 400


def test_healthz_ok_when_redis_and_database_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "redis": "ok", "database": "ok"}


def test_healthz_503_when_redis_is_down(settings, store):
    from dataclasses import replace

    from webhook_app import create_app
    from worker.embedded_redis import free_port

    down = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = create_app({"SETTINGS": down}).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"].startswith("error") and response.json["database"] == "ok"


def test_metrics_count_deliveries_by_platform_event_and_outcome(client):
    post_github(client, "issues", load_fixture("github", "issues__opened"), delivery_id="m-1")
    post_github(client, "issues", load_fixture("github", "issues__opened"), delivery_id="m-1")
    post_gitlab(client, "Issue Hook", load_fixture("gitlab", "issue__open"), token="bad")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'incident_desk_deliveries_total{event="issues",outcome="queued",platform="github"} 1.0' in text
    assert 'incident_desk_deliveries_total{event="issues",outcome="duplicate",platform="github"} 1.0' in text
    assert 'incident_desk_deliveries_total{event="Issue Hook",outcome="bad-token",platform="gitlab"} 1.0' in text
    assert "incident_desk_queue_depth 1.0" in text
    assert "incident_desk_failed_jobs 0.0" in text


def test_one_json_log_line_per_delivery_without_secrets_or_payload(client):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("incident_desk.webhooks")
    logger.addHandler(handler)
    try:
        post_gitlab(client, "Issue Hook", load_fixture("gitlab", "issue__open"), delivery_id="log-1")
    finally:
        logger.removeHandler(handler)
    [record] = records
    line = json.loads(record.getMessage())
    assert line["delivery_id"] == "log-1" and line["outcome"] == "queued" and line["event"] == "Issue Hook"
    assert "duration_ms" in line
    assert GITLAB_SECRET not in record.getMessage() and "create/update/delete" not in record.getMessage()


def test_an_accepted_delivery_is_remembered_for_72_hours(client, redis_conn):
    from webhook_app.deliveries import delivery_key

    post_github(client, "issues", load_fixture("github", "issues__opened"), delivery_id="ttl-1")
    key = delivery_key("github", "186853002", "ttl-1")
    assert redis_conn.get(key) == b"queued"
    assert 71 * 3600 < redis_conn.ttl(key) <= 72 * 3600


def test_a_failed_enqueue_leaves_nothing_so_the_redelivery_is_accepted(app, redis_conn, monkeypatch):
    import pytest

    from webhook_app.deliveries import accept

    queue = app.extensions["queue"]
    body = json.dumps(load_fixture("github", "issues__opened")).encode()

    def fail(*args, **kwargs):
        raise ConnectionError("redis went away mid-request")

    monkeypatch.setattr(redis_conn, "evalsha", fail)
    with pytest.raises(ConnectionError):
        accept(redis_conn, "github", "1", "crash-1", "issues", body, None, queue)
    assert redis_conn.keys("incident-desk:delivery:*") == [] and queued(redis_conn) == []
    monkeypatch.undo()
    assert accept(redis_conn, "github", "1", "crash-1", "issues", body, None, queue) == "queued"
    assert len(queued(redis_conn)) == 1


def test_a_write_failing_inside_redis_leaves_the_delivery_unclaimed(app, redis_conn):
    """The 72-hour key is written last: whatever fails before it, the forge's redelivery is accepted."""
    import pytest
    import redis

    from webhook_app.deliveries import accept, delivery_key

    queue = app.extensions["queue"]
    redis_conn.set(queue.key, "not a list")  # the queue push fails inside the script
    with pytest.raises(redis.ResponseError):
        accept(redis_conn, "github", "1", "broken-1", "issues", b"{}", None, queue)
    assert redis_conn.exists(delivery_key("github", "1", "broken-1")) == 0
    redis_conn.delete(queue.key)  # the job hash written before the failure is written again below
    assert accept(redis_conn, "github", "1", "broken-1", "issues", b"{}", None, queue) == "queued"
    assert len(queued(redis_conn)) == 1


def test_a_process_killed_after_queueing_never_makes_a_second_job(app, redis_conn, monkeypatch):
    """The check, the job, the 72-hour key and the count are one step: a web process that dies after it
    (its answer never reaching the forge) leaves all of them, so the redelivery is a duplicate."""
    from webhook_app.deliveries import accept, delivery_key

    queue = app.extensions["queue"]
    real = redis_conn.evalsha

    def run_then_die(*args):
        real(*args)
        raise SystemExit  # stands for the process dying: no cleanup runs

    monkeypatch.setattr(redis_conn, "evalsha", run_then_die)
    with contextlib.suppress(SystemExit):
        accept(redis_conn, "github", "1", "killed-1", "issues", b"{}", None, queue)
    monkeypatch.undo()
    assert redis_conn.get(delivery_key("github", "1", "killed-1")) == b"queued"
    assert accept(redis_conn, "github", "1", "killed-1", "issues", b"{}", None, queue) == "duplicate"
    assert len(queued(redis_conn)) == 1


def _post_chunked(client, body: bytes, delivery_id: str = "chunked-1"):
    """As gunicorn hands over a `Transfer-Encoding: chunked` body: no Content-Length, input terminated."""
    from incident_desk.signing import sha256_signature as github_signature
    from tests.support import GITHUB_SECRET

    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery_id, "Content-Type": "application/json",
               "X-Hub-Signature-256": github_signature(GITHUB_SECRET, body), "Transfer-Encoding": "chunked"}
    return client.post("/webhooks/github", input_stream=io.BytesIO(body), headers=headers,
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_25_mb_is_413_not_401(client, redis_conn):
    """Issue 13 item 9: Werkzeug cut the chunked body at the limit and the signature then failed."""
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = _post_chunked(client, body)
    assert response.status_code == 413
    assert queued(redis_conn) == []


def test_a_chunked_body_under_the_limit_is_queued(client, redis_conn):
    body = json.dumps(load_fixture("github", "issues__opened")).encode()
    response = _post_chunked(client, body)
    assert (response.status_code, response.json["outcome"]) == (202, "queued")
    assert len(queued(redis_conn)) == 1


def test_made_up_event_names_do_not_grow_metrics_or_redis(client, redis_conn):
    """Issue 13 item 13: 2,000 unsigned requests with made-up event names added 2,000 label values."""
    from webhook_app.metrics import DELIVERIES_KEY

    payload = load_fixture("github", "issues__opened")
    post_github(client, "issues", payload, secret="wrong", **{"X-GitHub-Event": "warm-up"})
    before = client.get("/metrics").get_data()
    for n in range(300):
        post_github(client, f"made-up-{n}", payload, secret="wrong")
        post_gitlab(client, f"Made Up Hook {n}", load_fixture("gitlab", "issue__open"), token="wrong")
        post_github(client, f"signed-but-unknown-{n}", payload)  # signed, unknown: 202 ignored
    after = client.get("/metrics").get_data(as_text=True)
    assert len(after) - len(before) < 400  # the same lines, larger counts
    assert "made-up" not in after and "Made Up" not in after and "signed-but-unknown" not in after
    assert 'incident_desk_deliveries_total{event="other",outcome="bad-signature",platform="github"} 301.0' in after
    assert 'incident_desk_deliveries_total{event="other",outcome="ignored",platform="github"} 300.0' in after
    assert redis_conn.hlen(DELIVERIES_KEY) == 3
