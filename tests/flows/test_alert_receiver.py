"""The alert receiver: verify, dedupe, enqueue, answer. The vendors' documented payloads (tests/fixtures/alerts/)
posted with real bearer tokens and real HMAC-SHA256 signatures through the Flask test client, into real Redis."""
from __future__ import annotations

import copy
import io

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.alert_support import (
    ALERTS,
    GRAFANA,
    GRAFANA_TOKEN,
    PAGERDUTY,
    PAGERDUTY_SECRET,
    PROCESS_ALERT,
    SOURCE,
    TOKEN,
    alert_fixture,
    alert_settings,
    firing,
    pagerduty_event,
    pagerduty_signature,
    post_alertmanager,
    post_pagerduty,
    resolved,
    with_second_alert,
)
from webhook_app.metrics import DELIVERIES_KEY
from worker.queue import deliveries_queue, job_id


def queued(redis_conn) -> list[Job]:
    return deliveries_queue(redis_conn).get_jobs()


def counted(redis_conn, source: str, outcome: str) -> int:
    return int(redis_conn.hget(DELIVERIES_KEY, f"alerts|{source}|{outcome}") or 0)


@pytest.fixture
def client(settings, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": alert_settings(settings), "TESTING": True}).test_client()


def test_a_firing_group_is_queued_with_its_payload(client, redis_conn):
    payload = firing()
    response = post_alertmanager(client, SOURCE, payload, TOKEN)

    assert response.status_code == 202
    assert response.json["outcome"] == "queued"
    delivery_id = response.json["delivery_id"]
    [job] = queued(redis_conn)
    assert job.id == job_id("alerts", SOURCE, delivery_id)
    assert job.func_name == PROCESS_ALERT
    assert job.args == [SOURCE, delivery_id, payload]
    assert job.serializer is JSONSerializer
    assert counted(redis_conn, SOURCE, "queued") == 1


def test_the_same_notification_five_times_is_one_job(client, redis_conn):
    """Alertmanager re-sends a firing group every repeat_interval, unchanged."""
    answers = [post_alertmanager(client, SOURCE, firing(), TOKEN) for _ in range(5)]

    assert [a.status_code for a in answers] == [202] * 5
    assert [a.json["outcome"] for a in answers] == ["queued"] + ["duplicate"] * 4
    assert len({a.json["delivery_id"] for a in answers}) == 1
    assert len(queued(redis_conn)) == 1
    assert (counted(redis_conn, SOURCE, "queued"), counted(redis_conn, SOURCE, "duplicate")) == (1, 4)


def test_a_repeat_with_other_json_formatting_is_still_a_repeat(client, redis_conn):
    import json

    payload = firing()
    assert post_alertmanager(client, SOURCE, json.dumps(payload).encode(), TOKEN).json["outcome"] == "queued"
    again = json.dumps(payload, indent=4, sort_keys=True).encode()
    assert post_alertmanager(client, SOURCE, again, TOKEN).json["outcome"] == "duplicate"
    assert len(queued(redis_conn)) == 1


def test_a_second_alert_joining_the_group_is_a_new_job(client, redis_conn):
    assert post_alertmanager(client, SOURCE, firing(), TOKEN).json["outcome"] == "queued"
    joined = with_second_alert(firing())
    answers = [post_alertmanager(client, SOURCE, joined, TOKEN) for _ in range(3)]

    assert [a.json["outcome"] for a in answers] == ["queued", "duplicate", "duplicate"]
    jobs = queued(redis_conn)
    assert [len(job.args[2]["alerts"]) for job in jobs] == [1, 2]


def test_resolution_and_firing_again_are_each_news(client, redis_conn):
    """Resolved is a new state; firing again after it starts anew (a new startsAt), so it is no repeat of the
    first firing, whose key is still remembered."""
    refired = firing()
    refired["alerts"][0]["startsAt"] = "2026-11-30T11:05:12.5Z"
    outcomes = [post_alertmanager(client, SOURCE, payload, TOKEN).json["outcome"]
                for payload in (firing(), resolved(), resolved(), refired, refired)]

    assert outcomes == ["queued", "queued", "duplicate", "queued", "duplicate"]
    assert [job.args[2]["status"] for job in queued(redis_conn)] == ["firing", "resolved", "firing"]


def test_truncated_alerts_are_queued_and_more_of_them_is_news(client, redis_conn):
    """Over max_alerts, Alertmanager leaves alerts out and says how many: one more left out is a change."""
    payload = with_second_alert(firing())
    payload["truncatedAlerts"] = 3
    more = copy.deepcopy(payload)
    more["truncatedAlerts"] = 4
    outcomes = [post_alertmanager(client, SOURCE, p, TOKEN).json["outcome"] for p in (payload, payload, more)]

    assert outcomes == ["queued", "duplicate", "queued"]
    assert [job.args[2]["truncatedAlerts"] for job in queued(redis_conn)] == [3, 4]


def test_the_same_group_from_two_sources_is_two_jobs(client, redis_conn):
    assert post_alertmanager(client, SOURCE, firing(), TOKEN).json["outcome"] == "queued"
    assert post_alertmanager(client, GRAFANA, firing(), GRAFANA_TOKEN).json["outcome"] == "queued"
    assert [job.args[0] for job in queued(redis_conn)] == [SOURCE, GRAFANA]


def test_grafanas_contact_point_is_queued(client, redis_conn):
    payload = alert_fixture("grafana_firing")
    response = post_alertmanager(client, GRAFANA, payload, GRAFANA_TOKEN)

    assert (response.status_code, response.json["outcome"]) == (202, "queued")
    [job] = queued(redis_conn)
    assert job.args == [GRAFANA, response.json["delivery_id"], payload]
    assert counted(redis_conn, GRAFANA, "queued") == 1


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_read_in_any_case(client, redis_conn, scheme):
    response = post_alertmanager(client, SOURCE, firing(), None, Authorization=f"{scheme} {TOKEN}")
    assert response.status_code == 202
    assert len(queued(redis_conn)) == 1


@pytest.mark.parametrize(("source", "headers", "reason"), [
    (SOURCE, {"Authorization": "Bearer not-the-token"}, "bad-token"),
    (SOURCE, {"Authorization": f"Bearer {GRAFANA_TOKEN}"}, "bad-token"),  # another source's token
    (SOURCE, {"Authorization": f"Basic {TOKEN}"}, "bad-token"),
    (SOURCE, {"Authorization": TOKEN}, "bad-token"),
    (SOURCE, {"Authorization": "Bearer tökén"}, "bad-token"),
    (SOURCE, {}, "bad-token"),
    ("nobody", {"Authorization": f"Bearer {TOKEN}"}, "unknown-source"),
])
def test_a_wrong_token_is_401_and_nothing_is_queued(client, redis_conn, source, headers, reason):
    response = post_alertmanager(client, source, firing(), None, **headers)

    assert response.status_code == 401
    assert response.json == {"outcome": "refused", "reason": reason}
    assert queued(redis_conn) == []
    assert counted(redis_conn, SOURCE if source == SOURCE else "other", "refused") == 1


def test_without_alert_sources_every_source_is_401(settings, store, redis_conn):
    from webhook_app import create_app

    client = create_app({"SETTINGS": settings, "TESTING": True}).test_client()
    response = post_alertmanager(client, SOURCE, firing(), TOKEN)
    assert (response.status_code, response.json["reason"]) == (401, "unknown-source")
    assert queued(redis_conn) == []


def bad_alert(change):
    payload = firing()
    change(payload)
    return payload


@pytest.mark.parametrize("body", [
    b"{not json",
    b"[1, 2]",
    b'{"a": ' * 300 + b"1" + b"}" * 300,
    bad_alert(lambda p: p.pop("groupKey")),
    bad_alert(lambda p: p.update(groupKey="")),
    bad_alert(lambda p: p.update(status="pending")),
    bad_alert(lambda p: p.update(alerts=[])),
    bad_alert(lambda p: p.update(truncatedAlerts="3")),
    bad_alert(lambda p: p["alerts"][0].update(status="firing!")),
    bad_alert(lambda p: p["alerts"][0]["labels"].update(severity=2)),
    bad_alert(lambda p: p["alerts"][0].update(startsAt="yesterday")),
    bad_alert(lambda p: p["alerts"][0].update(startsAt="2026-11-30T09:52:26")),  # no offset
    bad_alert(lambda p: p.update(alerts="all of them")),
])
def test_a_malformed_notification_is_400_and_nothing_is_queued(client, redis_conn, body):
    response = post_alertmanager(client, SOURCE, body, TOKEN)

    assert response.status_code == 400
    assert response.json["outcome"] == "malformed"
    assert queued(redis_conn) == []
    assert counted(redis_conn, SOURCE, "malformed") == 1


def test_pagerduty_triggered_acknowledged_resolved_are_three_jobs(client, redis_conn):
    payloads = [pagerduty_event(kind) for kind in ("triggered", "acknowledged", "resolved")]
    answers = [post_pagerduty(client, payload, PAGERDUTY_SECRET) for payload in payloads]

    assert [(a.status_code, a.json["outcome"]) for a in answers] == [(202, "queued")] * 3
    jobs = queued(redis_conn)
    assert [job.args[2]["event"]["event_type"] for job in jobs] == [
        "incident.triggered", "incident.acknowledged", "incident.resolved"]
    assert jobs[0].args == ["pagerduty", answers[0].json["delivery_id"], payloads[0]]
    assert jobs[0].id == job_id("alerts", "pagerduty", answers[0].json["delivery_id"])
    assert counted(redis_conn, "pagerduty", "queued") == 3


def test_pagerdutys_retry_of_an_event_is_one_job(client, redis_conn):
    payload = pagerduty_event("triggered")
    outcomes = [post_pagerduty(client, payload, PAGERDUTY_SECRET).json["outcome"] for _ in range(3)]
    assert outcomes == ["queued", "duplicate", "duplicate"]
    assert len(queued(redis_conn)) == 1


def test_any_of_several_signatures_and_secrets_will_do(settings, store, redis_conn):
    """During a rotation PagerDuty signs with the old and the new secret, and we may hold either or both."""
    from webhook_app import create_app

    both = alert_settings(settings, pagerduty_secrets=("old-secret", "new-secret"))
    client = create_app({"SETTINGS": both, "TESTING": True}).test_client()
    kinds = ("triggered", "acknowledged", "resolved")
    signers = (("unknown-secret", "new-secret"), "old-secret", ("new-secret", "old-secret"))
    answers = [post_pagerduty(client, pagerduty_event(kind), secret)
               for kind, secret in zip(kinds, signers, strict=True)]

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len(queued(redis_conn)) == 3


@pytest.mark.parametrize("headers", [
    {"secret": "not-the-secret"},
    {"secret": None},
    {"X-PagerDuty-Signature": "v1="},
    {"X-PagerDuty-Signature": "v2=" + pagerduty_signature(PAGERDUTY_SECRET, b"x")[3:]},
    {"X-PagerDuty-Signature": "v1=ü"},
])
def test_a_wrong_pagerduty_signature_is_401_and_nothing_is_queued(client, redis_conn, headers):
    secret = headers.pop("secret", PAGERDUTY_SECRET)
    response = post_pagerduty(client, pagerduty_event("triggered"), secret, **headers)

    assert response.status_code == 401
    assert response.json == {"outcome": "refused", "reason": "bad-signature"}
    assert queued(redis_conn) == []
    assert counted(redis_conn, "pagerduty", "refused") == 1


def test_a_body_changed_after_signing_is_401(client, redis_conn):
    import json

    signed = json.dumps(pagerduty_event("triggered")).encode()
    sent = json.dumps(pagerduty_event("resolved")).encode()
    response = client.post(PAGERDUTY, data=sent, content_type="application/json",
                           headers={"X-PagerDuty-Signature": pagerduty_signature(PAGERDUTY_SECRET, signed)})
    assert response.status_code == 401
    assert queued(redis_conn) == []


def test_without_pagerduty_secrets_pagerduty_is_401(settings, store, redis_conn):
    from webhook_app import create_app

    client = create_app({"SETTINGS": alert_settings(settings, pagerduty_secrets=()), "TESTING": True}).test_client()
    response = post_pagerduty(client, pagerduty_event("triggered"), PAGERDUTY_SECRET)
    assert (response.status_code, response.json["reason"]) == (401, "not-configured")
    assert queued(redis_conn) == []


def test_a_pagerduty_event_type_not_handled_is_ignored(client, redis_conn):
    response = post_pagerduty(client, pagerduty_event("priority_updated"), PAGERDUTY_SECRET)

    assert response.status_code == 202
    assert response.json == {"outcome": "ignored", "reason": "event-type"}
    assert queued(redis_conn) == []
    assert counted(redis_conn, "pagerduty", "ignored") == 1


def bad_event(change):
    payload = pagerduty_event("triggered")
    change(payload)
    return payload


@pytest.mark.parametrize("payload", [
    {"messages": []},  # PagerDuty's v2 webhooks' shape
    bad_event(lambda p: p["event"].pop("id")),
    bad_event(lambda p: p["event"].update(occurred_at="2020-04-09")),
    bad_event(lambda p: p["event"]["data"].pop("id")),
    bad_event(lambda p: p["event"].update(data="PGR0VU2")),
    bad_event(lambda p: p["event"]["data"].update(title=["A", "list"])),
])
def test_a_malformed_pagerduty_event_is_400_and_nothing_is_queued(client, redis_conn, payload):
    response = post_pagerduty(client, payload, PAGERDUTY_SECRET)

    assert (response.status_code, response.json["outcome"]) == (400, "malformed")
    assert queued(redis_conn) == []


def test_the_job_resolves_to_the_worker_function(client, redis_conn):
    response = post_alertmanager(client, SOURCE, firing(), TOKEN)
    job = Job.fetch(job_id("alerts", SOURCE, response.json["delivery_id"]), connection=redis_conn,
                    serializer=JSONSerializer)
    from worker.alert_jobs import process_alert

    assert job.func is process_alert
    assert job.description == f"alerts {SOURCE} {response.json['delivery_id']}"


def test_metrics_count_alert_notifications_by_source_and_outcome(client, redis_conn):
    post_alertmanager(client, SOURCE, firing(), TOKEN)
    post_alertmanager(client, SOURCE, firing(), TOKEN)
    post_alertmanager(client, "nobody", firing(), TOKEN)
    post_pagerduty(client, pagerduty_event("priority_updated"), PAGERDUTY_SECRET)
    text = client.get("/metrics").data.decode()

    for source, outcome in ((SOURCE, "queued"), (SOURCE, "duplicate"), ("other", "refused"),
                            ("pagerduty", "ignored")):
        assert (f'incident_desk_deliveries_total{{event="{source}",outcome="{outcome}",platform="alerts"}} 1.0'
                in text), (source, outcome)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_25_mb_is_413_and_nothing_is_queued(client, redis_conn, chunked):
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    if chunked:  # as gunicorn hands it over: Werkzeug would cut it at the limit silently
        headers["Transfer-Encoding"] = "chunked"
        response = client.post(f"{ALERTS}/{SOURCE}", input_stream=io.BytesIO(body), headers=headers,
                               environ_overrides={"wsgi.input_terminated": True})
    else:
        response = client.post(f"{ALERTS}/{SOURCE}", data=body, headers=headers)
    assert response.status_code == 413
    assert (response.json["outcome"], response.json["reason"]) == ("malformed", "too-large")
    assert queued(redis_conn) == []
