"""alerts.payloads: the vendors' documented payloads (tests/fixtures/alerts/) read into AlertNotices, what makes
a notification a repeat, and what makes one malformed."""
from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from alerts.events import ACKNOWLEDGED, FIRING, RESOLVED, Alert, AlertNotice
from alerts.payloads import PayloadError, notice_key, read_alertmanager, read_pagerduty
from tests.alert_support import alert_fixture, firing, pagerduty_event, resolved, with_second_alert

GROUP = '{}/{team="payments"}:{alertname="InstanceDown", job="node"}'


def test_alertmanagers_firing_notification():
    notice = read_alertmanager("prometheus", firing())

    assert (notice.source, notice.group, notice.status, notice.truncated) == ("prometheus", GROUP, FIRING, 0)
    assert notice.group_labels == {"alertname": "InstanceDown", "job": "node"}
    assert notice.common_labels["team"] == "payments"
    assert notice.common_annotations["summary"] == "Instance db-1:9100 down"
    assert notice.external_url == "http://alertmanager.example.com:9093"
    assert (notice.at, notice.title, notice.url, notice.event_id) == (None, "", "", "")
    [alert] = notice.alerts
    assert alert == Alert(
        name="InstanceDown", status=FIRING,
        labels={"alertname": "InstanceDown", "instance": "db-1:9100", "job": "node", "severity": "critical",
                "service": "database", "team": "payments"},
        annotations={"summary": "Instance db-1:9100 down",
                     "description": "db-1:9100 of job node has been down for more than 5 minutes.",
                     "runbook_url": "https://runbooks.example.com/instance-down"},
        starts_at=datetime(2026, 11, 30, 9, 52, 26, 739266, tzinfo=UTC),  # Go's nanoseconds cut to micro
        ends_at=None,  # 0001-01-01T00:00:00Z while firing
        url="http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
        fingerprint="8467d58e6f3197ff")
    assert dict(alert.labels) == firing()["alerts"][0]["labels"]


def test_alertmanagers_resolved_notification_has_its_end():
    [alert] = read_alertmanager("prometheus", resolved()).alerts
    assert alert.status == RESOLVED
    assert alert.ends_at == datetime(2026, 11, 30, 10, 31, 56, 235171, tzinfo=UTC)


def test_a_firing_alerts_future_end_is_no_end():
    """Prometheus sends firing alerts with endsAt a few minutes ahead (its resend window): not an end."""
    payload = firing()
    payload["alerts"][0]["endsAt"] = "2026-11-30T10:00:00Z"
    assert read_alertmanager("prometheus", payload).alerts[0].ends_at is None


def test_times_with_an_offset_are_read_in_utc():
    [first, second] = read_alertmanager("grafana", alert_fixture("grafana_firing")).alerts
    assert first.starts_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)  # +02:00 in Grafana's example
    assert second.starts_at == datetime(2021, 10, 12, 7, 56, 3, 157076, tzinfo=UTC)


def test_grafanas_contact_point_notification():
    notice = read_alertmanager("grafana", alert_fixture("grafana_firing"))

    assert (notice.group, notice.status, notice.common_labels, notice.group_labels) == (
        "{}:{}", FIRING, {"team": "blue"}, {})
    assert notice.external_url == "https://play.grafana.org/"
    first = notice.alerts[0]
    assert (first.name, first.fingerprint, first.url) == (
        "High memory usage", "c6eadffa33fcdf37", "https://play.grafana.org/alerting/1afz29v7z/edit")
    assert first.silence_url.startswith("https://play.grafana.org/alerting/silence/new?")
    assert (first.dashboard_url, first.panel_url) == ("", "")
    assert first.values == "B=44.23943737541908, C=1"
    assert first.annotations["runbook_url"] == "https://myrunbook.com/runbook/1234"


def test_older_grafanas_value_string():
    payload = alert_fixture("grafana_firing")
    del payload["alerts"][0]["values"]
    payload["alerts"][0]["valueString"] = "[ metric='' labels={} value=14151.331895396988 ]"
    assert read_alertmanager("grafana", payload).alerts[0].values == "[ metric='' labels={} value=14151.331895396988 ]"


def test_truncated_alerts_are_counted():
    payload = firing()
    payload["truncatedAlerts"] = 7
    assert read_alertmanager("prometheus", payload).truncated == 7


def test_an_alert_without_alertname_or_fingerprint():
    payload = firing()
    for field in ("fingerprint", "generatorURL"):
        del payload["alerts"][0][field]
    del payload["alerts"][0]["labels"]["alertname"]
    [alert] = read_alertmanager("prometheus", payload).alerts
    assert (alert.name, alert.fingerprint, alert.url) == ("", "", "")


@pytest.mark.parametrize(("kind", "status", "responder", "at"), [
    ("triggered", FIRING, "", datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)),
    ("acknowledged", ACKNOWLEDGED, "Tenex Engineer", datetime(2020, 4, 9, 15, 21, 3, 512000, tzinfo=UTC)),
    ("resolved", RESOLVED, "", datetime(2020, 4, 9, 16, 2, 45, 77000, tzinfo=UTC)),
])
def test_pagerdutys_incident_events(kind, status, responder, at):
    payload = pagerduty_event(kind)
    assert read_pagerduty(payload) == AlertNotice(
        source="pagerduty", group="PGR0VU2", status=status, at=at, title="A little bump in the road",
        url="https://acme.pagerduty.com/incidents/PGR0VU2", urgency="high", responder=responder,
        event_id=payload["event"]["id"],
        common_labels={"service": "API Service", "service_id": "PF9KMXH", "priority": "P1", "urgency": "high",
                       "team": "Engineering", "team_id": "PFCVPS0"})


def test_an_acknowledgement_by_no_one_has_no_responder():
    """PagerDuty's `agent` is null when no person did it (an auto-acknowledgement)."""
    payload = pagerduty_event("acknowledged")
    payload["event"]["agent"] = None
    assert read_pagerduty(payload).responder == ""


@pytest.mark.parametrize("event_type", ["incident.priority_updated", "incident.annotated", "service.updated"])
def test_pagerduty_events_not_handled_are_none(event_type):
    payload = pagerduty_event("priority_updated")
    payload["event"]["event_type"] = event_type
    payload["event"]["data"] = {"id": "P2LA89X", "type": "incident_note", "content": "I sure am glad"}
    assert read_pagerduty(payload) is None


def changed(payload: dict, change) -> dict:
    payload = copy.deepcopy(payload)
    change(payload)
    return payload


@pytest.mark.parametrize("payload", [
    [],
    "firing",
    {},
    changed(firing(), lambda p: p.pop("alerts")),
    changed(firing(), lambda p: p.update(status="FIRING")),
    changed(firing(), lambda p: p.update(truncatedAlerts=-1)),
    changed(firing(), lambda p: p.update(truncatedAlerts=1.5)),
    changed(firing(), lambda p: p.update(commonLabels={"team": None})),
    changed(firing(), lambda p: p.update(groupKey=7)),
    changed(firing(), lambda p: p["alerts"][0].update(endsAt=17)),
    changed(firing(), lambda p: p["alerts"][0].update(annotations=["summary"])),
    changed(firing(), lambda p: p["alerts"].append("db-3")),
])
def test_malformed_alert_notifications(payload):
    with pytest.raises(PayloadError):
        read_alertmanager("prometheus", payload)


def test_the_error_names_the_fields_not_their_values():
    payload = changed(firing(), lambda p: p["alerts"][0]["labels"].update(secret=["hunter2"]))
    with pytest.raises(PayloadError) as error:
        read_alertmanager("prometheus", payload)
    assert "alerts.0.labels.secret" in str(error.value)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize("payload", [
    {},
    {"event": None},
    changed(pagerduty_event("triggered"), lambda p: p["event"].pop("event_type")),
    changed(pagerduty_event("triggered"), lambda p: p["event"].update(occurred_at="2020-04-09T15:16:27")),
    changed(pagerduty_event("triggered"), lambda p: p["event"]["data"].update(id="")),
    changed(pagerduty_event("triggered"), lambda p: p["event"]["data"].update(urgency=1)),
    changed(pagerduty_event("acknowledged"), lambda p: p["event"].update(agent="Tenex Engineer")),
])
def test_malformed_pagerduty_events(payload):
    with pytest.raises(PayloadError):
        read_pagerduty(payload)


def key(payload: dict, source: str = "prometheus") -> str:
    return notice_key(read_alertmanager(source, payload))


def test_a_repeat_has_the_same_key_whatever_the_order_of_its_alerts():
    two = with_second_alert(firing())
    reordered = changed(two, lambda p: p["alerts"].reverse())
    assert key(two) == key(reordered)
    assert key(firing()) == key(changed(firing(), lambda p: p.update(receiver="another")))
    # Annotations change with the alert's values; the alert is the same alert.
    assert key(firing()) == key(changed(firing(), lambda p: p["alerts"][0]["annotations"].update(value="9")))


@pytest.mark.parametrize("change", [
    lambda p: p.update(status="resolved"),
    lambda p: p["alerts"][0].update(status="resolved"),
    lambda p: p.update(groupKey='{}:{alertname="Other"}'),
    lambda p: p["alerts"][0].update(fingerprint="31b80d4e8b2a0b36"),
    lambda p: p["alerts"][0].update(startsAt="2026-11-30T11:00:00Z"),  # fired again after resolving
    lambda p: p.update(truncatedAlerts=1),
    lambda p: p["alerts"].append(alert_fixture("alertmanager_second_alert")),
])
def test_what_makes_a_notification_news(change):
    assert key(firing()) != key(changed(firing(), change))


def test_the_same_group_from_another_source_is_another_key():
    assert key(firing(), "prometheus") != key(firing(), "grafana")


def test_alerts_without_fingerprints_are_told_apart_by_their_labels():
    bare = changed(with_second_alert(firing()), lambda p: [alert.pop("fingerprint") for alert in p["alerts"]])
    one = changed(bare, lambda p: p["alerts"].pop())
    assert key(bare) != key(one)


def test_pagerdutys_key_is_its_event_id():
    triggered = read_pagerduty(pagerduty_event("triggered"))
    assert notice_key(triggered) == notice_key(read_pagerduty(pagerduty_event("triggered")))
    keys = {notice_key(read_pagerduty(pagerduty_event(kind))) for kind in ("triggered", "acknowledged", "resolved")}
    assert len(keys) == 3
    assert "5ac64822-4adc-4fda-ade0-410becf0de41" in notice_key(triggered)
