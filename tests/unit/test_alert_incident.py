"""An alert notification as an incident (issue 17): title, body and its alert table, severity, components,
detection and resolution times, timeline texts, and escaping of everything a sender wrote.

The notices hold the vendors' documented examples: Grafana's webhook contact point example ("Configure the
webhook notifier for Alerting", grafana.com docs: two firing alerts of team blue), Alertmanager's webhook
(payload version 4) with the values of the sample in the alertmanager-webhook-types crate
(assets/sample-v4-payload.json: ProbeFailure, severity critical), and PagerDuty's v3 webhook example
(developer.pagerduty.com "Webhooks: Overview": incident PGR0VU2 "A little bump in the road", agent Tenex Engineer).
"""
from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from alerts.events import Alert, AlertNotice
from incidents import alert_incident as ai
from incidents.config_model import AlertsConfig
from incidents.document import parse_document
from incidents.model import Severity
from incidents.profiles import get_profile
from incidents.timeline_edits import add_timeline_entry
from issue_templates.render import postmortem_skeleton

PLUS_2 = timezone(timedelta(hours=2))
CONFIG = AlertsConfig()

MEMORY = Alert(
    "High memory usage", "firing", {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
    {"description": "The system has high memory usage", "runbook_url": "https://myrunbook.com/runbook/1234",
     "summary": "This alert was triggered for zone us-1"},
    starts_at=datetime(2021, 10, 12, 9, 51, 3, 157076, tzinfo=PLUS_2),
    url="https://play.grafana.org/alerting/1afz29v7z/edit", fingerprint="c6eadffa33fcdf37",
    silence_url="https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2C"
                "team%3Dblue%2Czone%3Dus-1", values="B=44.23943737541908, C=1")
CPU = Alert(
    "High CPU usage", "firing", {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
    {"description": "The system has high CPU usage", "runbook_url": "https://myrunbook.com/runbook/1234",
     "summary": "This alert was triggered for zone eu-1"},
    starts_at=datetime(2021, 10, 12, 9, 56, 3, 157076, tzinfo=PLUS_2),
    url="https://play.grafana.org/alerting/d1rdpdv7k/edit", fingerprint="bc97ff14869b13e3",
    silence_url="https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2C"
                "team%3Dblue%2Czone%3Deu-1", values="B=44.23943737541908, C=1")
GRAFANA = AlertNotice("grafana", "{}:{}", "firing", (MEMORY, CPU), {}, {"team": "blue"}, {},
                      "https://play.grafana.org/")

PROBE_LABELS = {"alertname": "ProbeFailure", "instance": "https://server.example.org", "job": "http_checks",
                "monitor": "master", "severity": "critical"}
PROBE_ANNOTATIONS = {"description": "Instance https://server.example.org has been down for over 5m. Job: http_checks",
                     "summary": "BlackBox Probe Failure: https://server.example.org"}
PROBE = Alert("ProbeFailure", "firing", PROBE_LABELS, PROBE_ANNOTATIONS,
              starts_at=datetime(2023, 2, 6, 13, 8, 45, 828000, tzinfo=UTC),
              url="http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
              fingerprint="1a30ba71cca2921f")
ALERTMANAGER = AlertNotice("prometheus", '{}/{severity="critical"}:{alertname="ProbeFailure"}', "firing", (PROBE,),
                           {"alertname": "ProbeFailure"}, PROBE_LABELS, PROBE_ANNOTATIONS,
                           "http://prometheus.example.org:9093")

PAGERDUTY = AlertNotice("pagerduty", "PGR0VU2", "firing", at=datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC),
                        title="A little bump in the road", url="https://acme.pagerduty.com/incidents/PGR0VU2",
                        urgency="high", event_id="5ac64822-4adc-4fda-ade0-410becf0de41")
ACKNOWLEDGED = dataclasses.replace(PAGERDUTY, status="acknowledged", responder="Tenex Engineer",
                                   at=datetime(2020, 4, 9, 15, 21, 3, 512000, tzinfo=UTC))


def resolved(notice: AlertNotice, *ends: datetime) -> AlertNotice:
    alerts = tuple(dataclasses.replace(alert, status="resolved", ends_at=end) for alert, end in
                   zip(notice.alerts, ends, strict=True))
    return dataclasses.replace(notice, status="resolved", alerts=alerts)


# --- title --------------------------------------------------------------------------------

@pytest.mark.parametrize("notice, title", [
    (ALERTMANAGER, "BlackBox Probe Failure: https://server.example.org"),  # commonAnnotations.summary
    (dataclasses.replace(ALERTMANAGER, common_annotations={}), "ProbeFailure"),  # group labels: only alertname
    (dataclasses.replace(ALERTMANAGER, common_annotations={}, group_labels={"alertname": "ProbeFailure",
                                                                           "job": "http_checks"}),
     "ProbeFailure (job=http_checks)"),
    (GRAFANA, "High memory usage and 1 more (team=blue)"),  # no group labels: the common ones
    (dataclasses.replace(GRAFANA, alerts=(MEMORY,)), "High memory usage (team=blue)"),
    (PAGERDUTY, "A little bump in the road"),
    (dataclasses.replace(ALERTMANAGER, common_annotations={"summary": "Ping @ops-team\nnow " + "x" * 300}),
     "Ping @\u200dops-team now " + "x" * 179 + "…"),
])
def test_title(notice, title):
    assert ai.title_of(notice) == title
    assert len(ai.title_of(notice)) <= 200


# --- severity and components --------------------------------------------------------------

@pytest.mark.parametrize("notice, config, expected", [
    (ALERTMANAGER, CONFIG, Severity.MAJOR_OUTAGE),  # severity: critical
    (dataclasses.replace(ALERTMANAGER, common_labels={"severity": "Warning"}), CONFIG,
     Severity.DEGRADED_PERFORMANCE),  # case aside
    (dataclasses.replace(ALERTMANAGER, common_labels={"severity": "info"}), CONFIG, None),  # not mapped
    (GRAFANA, CONFIG, None),  # no severity label at all
    (dataclasses.replace(ALERTMANAGER, common_labels={"priority": "P1"}),
     AlertsConfig(severity_label="priority", severity_map={"P1": "partial-outage"}), Severity.PARTIAL_OUTAGE),
    (dataclasses.replace(GRAFANA, alerts=(dataclasses.replace(MEMORY, labels={"severity": "warning"}),
                                          dataclasses.replace(CPU, labels={"severity": "error"}))),
     CONFIG, Severity.PARTIAL_OUTAGE),  # differing: the worst of the firing alerts'
    (dataclasses.replace(GRAFANA, alerts=(dataclasses.replace(MEMORY, labels={"severity": "warning"}),
                                          dataclasses.replace(CPU, status="resolved",
                                                              labels={"severity": "critical"}))),
     CONFIG, Severity.DEGRADED_PERFORMANCE),  # a resolved alert no longer counts
    (PAGERDUTY, CONFIG, Severity.MAJOR_OUTAGE),  # urgency high
    (dataclasses.replace(PAGERDUTY, urgency="low"), CONFIG, Severity.DEGRADED_PERFORMANCE),
    (PAGERDUTY, AlertsConfig(urgency_map={"low": "operational"}), None),
])
def test_severity(notice, config, expected):
    assert ai.severity_of(notice, config) is expected


@pytest.mark.parametrize("notice, config, expected", [
    (dataclasses.replace(ALERTMANAGER, common_labels={"service": "api"}), CONFIG, ("api",)),
    (ALERTMANAGER, CONFIG, ()),
    (ALERTMANAGER, AlertsConfig(component_label="job"), ("http_checks",)),
    (GRAFANA, AlertsConfig(component_label="zone"), ("us-1", "eu-1")),  # each firing alert's, in order
    (dataclasses.replace(GRAFANA, alerts=(MEMORY, MEMORY)), AlertsConfig(component_label="zone"), ("us-1",)),
    (dataclasses.replace(ALERTMANAGER, common_labels={"service": "two words"}), CONFIG, ()),  # not an id
    (dataclasses.replace(ALERTMANAGER, common_labels={"service": "<b>x</b>"}), CONFIG, ()),
    (PAGERDUTY, CONFIG, ()),
])
def test_components(notice, config, expected):
    assert ai.components_of(notice, config) == expected


# --- times ------------------------------------------------------------------------------------

def test_detected_at_is_the_earliest_start_in_utc():
    assert ai.detected_at(GRAFANA) == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert ai.detected_at(dataclasses.replace(GRAFANA, alerts=(CPU, MEMORY))) == ai.detected_at(GRAFANA)
    assert ai.detected_at(ALERTMANAGER) == datetime(2023, 2, 6, 13, 8, 45, 828000, tzinfo=UTC)
    naive = dataclasses.replace(PROBE, starts_at=datetime(2023, 2, 6, 13, 8))
    assert ai.detected_at(dataclasses.replace(ALERTMANAGER, alerts=(naive,))) == datetime(2023, 2, 6, 13, 8,
                                                                                           tzinfo=UTC)


def test_detected_at_of_pagerduty_is_the_event_time_and_without_any_time_now():
    assert ai.detected_at(PAGERDUTY) == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert ai.detected_at(dataclasses.replace(PAGERDUTY, at=None), now) == now
    before = datetime.now(UTC)
    assert before <= ai.detected_at(AlertNotice("prometheus", "g", "firing")) <= datetime.now(UTC)


def test_resolved_at_is_the_latest_end():
    first, last = datetime(2021, 10, 12, 10, 5, tzinfo=PLUS_2), datetime(2021, 10, 12, 10, 9, tzinfo=PLUS_2)
    assert ai.resolved_at(resolved(GRAFANA, last, first)) == datetime(2021, 10, 12, 8, 9, tzinfo=UTC)
    assert ai.resolved_at(GRAFANA) is None  # still firing
    half = dataclasses.replace(GRAFANA, status="resolved",
                               alerts=(dataclasses.replace(MEMORY, status="resolved", ends_at=first), CPU))
    assert ai.resolved_at(half) is None  # an alert of it still fires
    at = datetime(2020, 4, 9, 16, 0, tzinfo=UTC)
    assert ai.resolved_at(dataclasses.replace(PAGERDUTY, status="resolved", at=at)) == at
    assert ai.resolved_at(dataclasses.replace(PAGERDUTY, status="resolved", at=None)) is None
    assert ai.resolved_at(ACKNOWLEDGED) is None


# --- the body ---------------------------------------------------------------------------------

def test_the_body_of_an_alertmanager_group():
    skeleton = postmortem_skeleton("timeline-rca-actions")
    body = ai.body_of(ALERTMANAGER, skeleton)
    head, _start, after = body.partition(ai.TABLE_START)
    table, _end, rest = after.partition(ai.TABLE_END)
    assert head == (
        "Declared by the alert ProbeFailure from prometheus.\n\n"
        "**What went wrong:** Instance https://server.example.org has been down for over 5m. Job: http\\_checks\n\n"
        "**Source:** [alert rule](http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1)"
        " · [prometheus (the sender)](http://prometheus.example.org:9093)\n\n")
    assert table.split("\n") == [
        "", "",
        "| Alert | Status | Started | Ended | Labels | Summary | Links |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| ProbeFailure | firing | 2023-02-06 13:08 UTC |   | instance=https://server.example.org, job=http\\_checks, "
        "monitor=master, severity=critical | BlackBox Probe Failure: https://server.example.org | "
        "[source](http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1) |",
        "", ""]
    assert rest == "\n\n" + skeleton
    document = parse_document(body, get_profile("timeline-rca-actions"))
    assert document.declared == ("Instance https://server.example.org has been down for over 5m. "
                                 "Job: http\\_checks")


def test_the_body_of_a_grafana_group_has_its_runbook_silences_and_both_alerts():
    body = ai.body_of(GRAFANA, "## Timeline\n")
    assert "**Runbook:** [https://myrunbook.com/runbook/1234](https://myrunbook.com/runbook/1234)\n\n" in body
    assert ("**Source:** [alert rule](https://play.grafana.org/alerting/1afz29v7z/edit) · "
            "[grafana (the sender)](https://play.grafana.org/)\n\n") in body  # the rule link once, in the source
    rows = [line for line in body.split("\n") if line.startswith("| High")]
    assert [row.split(" | ")[:3] for row in rows] == [["| High memory usage", "firing", "2021-10-12 07:51 UTC"],
                                                       ["| High CPU usage", "firing", "2021-10-12 07:56 UTC"]]
    assert "[silence](https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2" \
           "%2Cteam%3Dblue%2Czone%3Dus-1)" in rows[0]


def test_the_body_of_a_pagerduty_incident():
    body = ai.body_of(PAGERDUTY, "## Timeline\n")
    assert body.startswith("Declared by the PagerDuty incident A little bump in the road from pagerduty.\n\n"
                           "**What went wrong:** A little bump in the road\n\n"
                           "**Source:** [PagerDuty incident](https://acme.pagerduty.com/incidents/PGR0VU2)\n\n")
    assert ("| A little bump in the road | firing | 2020-04-09 15:16 UTC |   | urgency=high |   | "
            "[PagerDuty](https://acme.pagerduty.com/incidents/PGR0VU2) |") in body


def test_the_detected_entry_goes_in_the_skeleton_s_timeline():
    profile = get_profile("timeline-rca-actions")
    body = ai.body_of(ALERTMANAGER, postmortem_skeleton(profile))
    body = add_timeline_entry(body, profile, ai.detected_at(ALERTMANAGER), ai.detected_entry(ALERTMANAGER),
                              "detected")
    entries = parse_document(body, profile).timeline
    assert [(entry.tag, entry.text) for entry in entries] == [
        ("detected", "Alert ProbeFailure from prometheus firing: BlackBox Probe Failure: https://server.example.org")]
    assert entries[0].at == datetime(2023, 2, 6, 13, 8, tzinfo=UTC)


# --- what a sender writes cannot do harm ------------------------------------------------------

HOSTILE = Alert("Bad|name <img src=x> @here", "firing", {"alertname": "x", "team": "a|b", "note": "`code` [x](y)"},
                {"summary": "**bold** @channel\n| broken | row |", "description": "<script>alert(1)</script>",
                 "runbook_url": "javascript:alert(1)"},
                starts_at=datetime(2026, 12, 3, 8, 0, tzinfo=UTC), url="javascript:alert(document.cookie)",
                silence_url="https://silence.example.com/a b)(c|d<e>")


def test_sender_text_is_escaped_and_only_web_addresses_become_links():
    notice = AlertNotice("prom|etheus", "g", "firing", (HOSTILE,), {}, {}, {}, "ftp://files.example.com",
                         url="data:text/html,hi")
    body = ai.body_of(notice, "")
    assert "](javascript:" not in body and "ftp:" not in body and "data:" not in body
    assert "**Runbook:** javascript:alert(1)\n" in body  # shown as text, never a link
    assert re.search(r"(?<!\\)[<>]", body.replace(ai.TABLE_START, "").replace(ai.TABLE_END, "")) is None
    assert "\\<script\\>" in body
    assert "@here" not in body and "@channel" not in body
    row = next(line for line in body.split("\n") if line.startswith("| Bad"))
    assert row.count(" | ") == 6  # seven cells: every `|` a sender wrote is escaped
    assert "[silence](https://silence.example.com/a%20b%29%28c%7Cd%3Ce%3E)" in row
    assert "\\*\\*bold\\*\\* @\u200dchannel \\| broken \\| row \\|" in row
    assert ai.detected_entry(notice) == "Alert Bad\\|name \\<img src=x\\> @\u200dhere from prom\\|etheus firing"


@pytest.mark.parametrize("url, expected", [
    ("https://grafana.example.com/d/abc_def/x?var-a=(b)", "https://grafana.example.com/d/abc_def/x?var-a=%28b%29"),
    ("http://host:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1", "http://host:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"),
    ("HTTPS://EXAMPLE.COM/", "HTTPS://EXAMPLE.COM/"),
    (" https://example.com/x ", "https://example.com/x"),
    ("https://", None), ("javascript:alert(1)", None), ("mailto:a@example.com", None), ("/relative", None),
    ("", None), ("http://[::1", None),
])
def test_web_addresses(url, expected):
    assert ai.web_address(url) == expected


# --- the table kept up to date ----------------------------------------------------------------

def test_a_second_alert_joining_replaces_the_table_in_place():
    one = dataclasses.replace(GRAFANA, alerts=(MEMORY,))
    body = ai.body_of(one, "## Timeline\n\n- 08:00 - written by a person\n")
    edited = body.replace("**What went wrong:**", "**What went wrong:** (edited)")
    updated = ai.with_alert_table(edited, GRAFANA)
    assert updated == edited.replace("\n".join(ai.alert_table(one)), "\n".join(ai.alert_table(GRAFANA)))
    assert "| High CPU usage | firing |" in updated and "(edited)" in updated
    assert ai.with_alert_table(updated, GRAFANA) == updated  # the same notice again changes nothing


def test_resolved_alerts_stay_in_the_table_after_the_firing_ones():
    half = dataclasses.replace(GRAFANA, alerts=(dataclasses.replace(MEMORY, status="resolved",
                                                                    ends_at=datetime(2021, 10, 12, 8, 30, tzinfo=UTC)),
                                                CPU))
    rows = [line for line in ai.alert_table(half) if line.startswith("| High")]
    assert [row.split(" | ")[:4] for row in rows] == [
        ["| High CPU usage", "firing", "2021-10-12 07:56 UTC", " "],
        ["| High memory usage", "resolved", "2021-10-12 07:51 UTC", "2021-10-12 08:30 UTC"]]


def test_a_body_without_the_markers_gets_nothing():
    body = "A person's own incident.\n\n## Timeline\n"
    assert ai.with_alert_table(body, GRAFANA) == body
    only_start = f"{ai.TABLE_START}\nold\n"
    assert ai.with_alert_table(only_start, GRAFANA) == only_start
    end_first = f"{ai.TABLE_END}\nold\n{ai.TABLE_START}\n"
    assert ai.with_alert_table(end_first, GRAFANA) == end_first


def test_crlf_bodies_keep_their_line_endings():
    body = ai.body_of(dataclasses.replace(GRAFANA, alerts=(MEMORY,)), "## Timeline\n").replace("\n", "\r\n")
    updated = ai.with_alert_table(body, GRAFANA)
    assert "| High CPU usage |" in updated and "\n" not in updated.replace("\r\n", "")


def test_left_out_alerts_are_said():
    many = dataclasses.replace(ALERTMANAGER, truncated=3, alerts=tuple(
        dataclasses.replace(PROBE, fingerprint=str(n), labels={**PROBE_LABELS, "instance": f"i{n}"})
        for n in range(ai.MAX_ROWS + 2)))
    table = ai.alert_table(many)
    assert sum(line.startswith("| ProbeFailure") for line in table) == ai.MAX_ROWS
    assert table[-2:] == ["… and 2 more alerts. 3 more alerts were left out by the sender (truncatedAlerts).", ""]


# --- timeline texts ---------------------------------------------------------------------------

@pytest.mark.parametrize("entry, notice, text", [
    (ai.detected_entry, ALERTMANAGER,
     "Alert ProbeFailure from prometheus firing: BlackBox Probe Failure: https://server.example.org"),
    (ai.detected_entry, GRAFANA, "Alert High memory usage and 1 more from grafana firing"),
    (ai.detected_entry, PAGERDUTY, "PagerDuty incident A little bump in the road triggered (urgency high)"),
    (ai.resolved_entry, ALERTMANAGER, "Alert ProbeFailure from prometheus resolved"),
    (ai.resolved_entry, PAGERDUTY, "PagerDuty incident A little bump in the road resolved"),
    (ai.acknowledged_entry, ACKNOWLEDGED,
     "PagerDuty incident A little bump in the road acknowledged by Tenex Engineer"),
    (ai.acknowledged_entry, dataclasses.replace(ACKNOWLEDGED, responder="@oncall [x]"),
     "PagerDuty incident A little bump in the road acknowledged by @\u200doncall \\[x\\]"),
    (ai.acknowledged_entry, dataclasses.replace(ACKNOWLEDGED, responder=" "),
     "PagerDuty incident A little bump in the road acknowledged"),
    (ai.refired_entry, ALERTMANAGER, "Alert ProbeFailure from prometheus firing again; the incident is reopened: "
                                     "BlackBox Probe Failure: https://server.example.org"),
    (ai.refired_entry, PAGERDUTY,
     "PagerDuty incident A little bump in the road firing again; the incident is reopened"),
])
def test_timeline_texts(entry, notice, text):
    assert entry(notice) == text
