"""The Slack receiver: verify, dedupe, enqueue, answer. Slack's documented payloads, posted as Slack posts
them (form-encoded or JSON) with real signatures over the raw body, through the Flask test client."""
from __future__ import annotations

import dataclasses
import io
import json
import time
import zlib
from urllib.parse import urlencode

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.slack_support import (
    COMMANDS,
    EVENTS,
    INTERACTIONS,
    PROCESS_SLACK,
    SECRET,
    command,
    post_command,
    post_event,
    post_interaction,
    post_slack,
    pushpin,
    shortcut,
    slack_signature,
)
from tests.support import load_fixture
from webhook_app.deliveries import FAILURE_TTL_SECONDS
from webhook_app.metrics import DELIVERIES_KEY
from worker.queue import deliveries_queue, job_id


def queued(redis_conn) -> list[Job]:
    return deliveries_queue(redis_conn).get_jobs()


@pytest.fixture
def slack_settings(settings):
    return dataclasses.replace(settings, slack_signing_secret=SECRET)


@pytest.fixture
def client(slack_settings, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": slack_settings, "TESTING": True}).test_client()


def test_a_declaration_is_queued_and_answered_at_once(client, redis_conn):
    fields = command("db is down")
    response = post_command(client, fields)

    assert response.status_code == 200
    assert response.json == {"response_type": "ephemeral", "text": "Declaring the incident…"}
    [job] = queued(redis_conn)
    assert job.id == job_id("slack", "T0001", fields["trigger_id"])
    assert job.func_name == PROCESS_SLACK
    assert job.args == ["command", fields["trigger_id"], fields]  # the form fields as one JSON object
    assert job.serializer is JSONSerializer
    assert redis_conn.hget(DELIVERIES_KEY, "slack|command|queued") == b"1"


def test_a_command_in_a_channel_is_answered_working_on_it(client, redis_conn):
    response = post_command(client, command("status identified the disk is full"))
    assert response.json == {"response_type": "ephemeral", "text": "Working on it…"}
    assert [job.args[2]["text"] for job in queued(redis_conn)] == ["status identified the disk is full"]


@pytest.mark.parametrize("text", ["", "help", "  HELP "])
def test_help_is_answered_inline_and_nothing_is_queued(client, redis_conn, text):
    response = post_command(client, command(text))
    assert response.status_code == 200
    assert response.json["response_type"] == "ephemeral"
    assert "`/incident &lt;what went wrong&gt;`" in response.json["text"]  # Slack's escaping: no stray markup
    assert "`/incident status &lt;investigating|" in response.json["text"]
    assert queued(redis_conn) == []
    assert redis_conn.hget(DELIVERIES_KEY, "slack|command|help") == b"1"


def test_the_same_trigger_twice_is_one_job(client, redis_conn):
    fields = command()
    assert post_command(client, fields).status_code == 200
    assert post_command(client, fields).status_code == 200
    assert len(queued(redis_conn)) == 1
    assert redis_conn.hget(DELIVERIES_KEY, "slack|command|duplicate") == b"1"


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_stale_request_is_401_and_nothing_is_queued(client, redis_conn, age):
    """Correctly signed, but more than 5 minutes from now: a replayed request."""
    response = post_command(client, command(), age=age)
    assert response.status_code == 401
    assert response.json == {"outcome": "stale"}
    assert queued(redis_conn) == []


def test_a_request_four_minutes_old_is_accepted(client, redis_conn):
    assert post_command(client, command(), age=240).status_code == 200
    assert len(queued(redis_conn)) == 1


@pytest.mark.parametrize("headers", [
    {"secret": "not-the-secret"},
    {"X-Slack-Signature": None},
    {"X-Slack-Request-Timestamp": None},
    {"X-Slack-Request-Timestamp": "soon"},
    {"X-Slack-Request-Timestamp": "1²3"},  # a digit to str.isdigit, not to int()
    {"X-Slack-Signature": "v0=ü"},
])
def test_a_bad_signature_is_401_and_nothing_is_queued(client, redis_conn, headers):
    for response in (post_command(client, command(), **headers), post_event(client, pushpin(), **headers),
                     post_interaction(client, shortcut(), **headers)):
        assert response.status_code == 401
        assert response.json == {"outcome": "bad-signature"}
    assert queued(redis_conn) == []


def test_a_body_changed_after_signing_is_401(client, redis_conn):
    timestamp = str(int(time.time()))
    signed = urlencode(command("db is down")).encode()
    sent = urlencode(command("db is down and so is everything")).encode()
    response = client.post(COMMANDS, data=sent, content_type="application/x-www-form-urlencoded", headers={
        "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": slack_signature(SECRET, timestamp, signed)})
    assert response.status_code == 401
    assert queued(redis_conn) == []


def test_without_a_signing_secret_every_slack_route_is_401(settings, store, redis_conn):
    from webhook_app import create_app

    client = create_app({"SETTINGS": settings, "TESTING": True}).test_client()
    for response in (post_command(client, command()), post_event(client, pushpin()),
                     post_event(client, load_fixture("slack", "url_verification")),
                     post_interaction(client, shortcut())):
        assert response.status_code == 401
        assert response.json == {"outcome": "not-configured"}
    assert queued(redis_conn) == []


def test_another_workspace_is_403_and_nothing_is_queued(slack_settings, store, redis_conn):
    from webhook_app import create_app

    settings = dataclasses.replace(slack_settings, slack_team_id="T0MJRM1A7")  # the shortcut example's team
    client = create_app({"SETTINGS": settings, "TESTING": True}).test_client()
    for response in (post_command(client, command()), post_event(client, pushpin()),
                     post_interaction(client, {**shortcut(), "team": {"id": "T0001", "domain": "example"}}),
                     post_command(client, {k: v for k, v in command().items() if k != "team_id"})):
        assert response.status_code == 403
        assert response.json == {"outcome": "other-team"}
    assert queued(redis_conn) == []

    assert post_interaction(client, shortcut()).status_code == 200  # its own workspace is let in
    assert [job.args[0] for job in queued(redis_conn)] == ["interaction"]


def test_the_url_verification_challenge_is_answered(client, redis_conn):
    payload = load_fixture("slack", "url_verification")
    response = post_event(client, payload)
    assert response.status_code == 200
    assert response.json == {"challenge": payload["challenge"]}
    assert queued(redis_conn) == []
    assert post_event(client, payload, secret="not-the-secret").status_code == 401  # signed, like every request


def test_a_pushpin_reaction_is_queued_and_slacks_retry_is_one_job(client, redis_conn):
    payload = pushpin()
    first = post_event(client, payload)
    again = post_event(client, payload, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    assert (first.status_code, first.data) == (200, b"")
    assert (again.status_code, again.data) == (200, b"")
    [job] = queued(redis_conn)
    assert job.id == job_id("slack", "T123ABC456", "Ev123ABC456")
    assert job.func_name == PROCESS_SLACK
    assert job.args == ["event", "Ev123ABC456", payload]
    assert redis_conn.hget(DELIVERIES_KEY, "slack|event|duplicate") == b"1"


@pytest.mark.parametrize("change", [
    lambda p: p,  # the documented example: a thumbsup
    lambda p: {**p, "event": {**p["event"], "reaction": "round_pushpin"}},
    lambda p: {**p, "event": {**p["event"], "reaction": "pushpin", "item": {"type": "file", "file": "F1"}}},
    lambda p: {**p, "event": {"type": "message", "text": "hello", "channel": "C1", "ts": "1.2", "user": "U1"}},
    lambda p: {**p, "type": "app_rate_limited"},
])
def test_events_that_are_not_ours_are_answered_and_dropped(client, redis_conn, change):
    response = post_event(client, change(load_fixture("slack", "reaction_added")))
    assert (response.status_code, response.data) == (200, b"")
    assert queued(redis_conn) == []
    assert redis_conn.hget(DELIVERIES_KEY, "slack|event|ignored") == b"1"


def test_the_add_to_timeline_shortcut_is_queued(client, redis_conn):
    payload = shortcut()
    response = post_interaction(client, payload)
    assert (response.status_code, response.data) == (200, b"")
    [job] = queued(redis_conn)
    assert job.id == job_id("slack", "T0MJRM1A7", payload["trigger_id"])
    assert job.args == ["interaction", payload["trigger_id"], payload]
    assert post_interaction(client, payload).status_code == 200
    assert len(queued(redis_conn)) == 1  # the same trigger again: one job


def test_another_shortcut_is_answered_and_dropped(client, redis_conn):
    response = post_interaction(client, load_fixture("slack", "message_shortcut"))  # callback_id chirp_message
    assert (response.status_code, response.data) == (200, b"")
    assert queued(redis_conn) == []


@pytest.mark.parametrize(("path", "body", "outcome"), [
    (EVENTS, b"{not json", "malformed-json"),
    (EVENTS, b"[1, 2]", "malformed-json"),
    (EVENTS, b'{"a": ' * 300 + b"1" + b"}" * 300, "too-deep"),
    (EVENTS, b'{"type": "url_verification", "challenge": 7}', "missing-fields"),
    (INTERACTIONS, b"nothing=here", "missing-fields"),
    (INTERACTIONS, b"payload=%7Bbroken", "malformed-json"),
    (COMMANDS, b"text=db+is+down", "missing-fields"),
    (COMMANDS, b"text=%FF%FE", "missing-fields"),  # undecodable escapes become U+FFFD, still no team
    (COMMANDS, b"&".join(b"f%d=1" % n for n in range(101)), "malformed-form"),
])
def test_malformed_requests_are_400_and_nothing_is_queued(client, redis_conn, path, body, outcome):
    content_type = "application/json" if path == EVENTS else "application/x-www-form-urlencoded"
    response = post_slack(client, path, body, content_type)
    assert response.status_code == 400
    assert response.json == {"outcome": outcome}
    assert queued(redis_conn) == []


def test_a_body_that_is_not_utf8_cannot_be_verified(client, redis_conn):
    """slack_sdk verifies the body as text; Slack sends UTF-8 only."""
    response = post_slack(client, COMMANDS, b"text=\xff\xfe", "application/x-www-form-urlencoded")
    assert (response.status_code, response.json) == (401, {"outcome": "bad-signature"})
    assert queued(redis_conn) == []


def test_slacks_job_is_the_one_rq_writes(app, client, redis_conn):
    """The ack path's script writes the Slack job as RQ's enqueue_call would (tests/flows/test_fast_enqueue.py)."""
    fields = command()
    queue = app.extensions["queue"]
    theirs = queue.enqueue_call(PROCESS_SLACK, args=("command", "t-1", fields), job_id="made-by-rq",
                                failure_ttl=FAILURE_TTL_SECONDS, description="slack command t-1")
    assert post_command(client, {**fields, "trigger_id": "t-1"}).status_code == 200
    ours_id = job_id("slack", "T0001", "t-1")

    theirs_hash, ours_hash = (redis_conn.hgetall(Job.key_for(i)) for i in (theirs.id, ours_id))
    same = {field for field in theirs_hash if field not in (b"data", b"created_at", b"enqueued_at")}
    assert {f: ours_hash[f] for f in same} == {f: theirs_hash[f] for f in same}
    assert json.loads(ours_hash[b"data"]) == json.loads(zlib.decompress(theirs_hash[b"data"]))[:2] + [
        ["command", "t-1", {**fields, "trigger_id": "t-1"}], {}]
    ours = Job.fetch(ours_id, connection=redis_conn, serializer=JSONSerializer)
    from worker.chat_jobs import process_slack

    assert ours.func is process_slack  # the name resolves in the worker
    assert ours.description == "slack command t-1"


def test_a_chunked_body_over_25_mb_is_413_and_nothing_is_queued(client, redis_conn):
    """As gunicorn hands over a `Transfer-Encoding: chunked` body: Werkzeug would cut it at the limit silently."""
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    timestamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": slack_signature(SECRET, timestamp, body),
               "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    response = client.post(EVENTS, input_stream=io.BytesIO(body), headers=headers,
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert queued(redis_conn) == []
