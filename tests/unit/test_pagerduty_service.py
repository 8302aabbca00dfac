"""PagerDuty incidents routed by service: read_pagerduty puts the incident's service (its summary and id), its
priority and its urgency in the notice's labels, as PagerDuty's "Webhooks: Overview" documents the incident
(tests/fixtures/alerts/: service PF9KMXH "API Service", priority P1, urgency high); INCIDENT_DESK_ALERT_ROUTES
matches them like any alert's labels; the incident's summary line, table and timeline name the service."""
from __future__ import annotations

import dataclasses

import pytest

from alerts.payloads import read_pagerduty
from incidents import alert_incident as ai
from incidents.alert_routes import parse_routes, route
from incidents.config_model import AlertsConfig
from incidents.model import Severity
from tests.alert_support import pagerduty_event

LABELS = {"service": "API Service", "service_id": "PF9KMXH", "priority": "P1", "urgency": "high",
          "team": "Engineering", "team_id": "PFCVPS0"}
ROUTES = ('service="Checkout API" -> github:acme/checkout; service_id=PF9KMXH -> gitlab:ops/api; '
          "* -> github:acme/incidents")


@pytest.mark.parametrize("kind", ["triggered", "acknowledged", "resolved"])
def test_the_service_priority_and_urgency_are_labels(kind):
    assert read_pagerduty(pagerduty_event(kind)).common_labels == LABELS


def test_a_missing_service_or_priority_gives_no_label():
    """PagerDuty sends `priority` null where an account has no priorities; no service: no service labels."""
    payload = pagerduty_event("triggered")
    payload["event"]["data"].update(priority=None, service=None, teams=[])
    assert read_pagerduty(payload).common_labels == {"urgency": "high"}
    del payload["event"]["data"]["priority"], payload["event"]["data"]["urgency"]
    assert read_pagerduty(payload).common_labels == {}


@pytest.mark.parametrize("service, expected", [
    ("Checkout API", ("github", "acme/checkout")),  # the fixture's service summary changed to this
    ("API Service", ("gitlab", "ops/api")),  # as printed: its id, PF9KMXH, matches the second route
])
def test_pagerduty_incidents_are_routed_by_service(service, expected):
    payload = pagerduty_event("triggered")
    payload["event"]["data"]["service"]["summary"] = service
    assert route(parse_routes(ROUTES), read_pagerduty(payload).common_labels) == expected


def test_another_service_takes_the_default_route():
    payload = pagerduty_event("triggered")
    payload["event"]["data"]["service"].update(summary="Search", id="PSEARCH")
    assert route(parse_routes(ROUTES), read_pagerduty(payload).common_labels) == ("github", "acme/incidents")


def test_routes_may_match_urgency_and_priority():
    labels = read_pagerduty(pagerduty_event("triggered")).common_labels
    assert route(parse_routes("urgency=low -> github:a/low; priority=~P[12] -> github:a/top"), labels) == \
        ("github", "a/top")


NOTICE = read_pagerduty(pagerduty_event("triggered"))


def test_the_incident_names_the_service():
    assert ai.title_of(NOTICE) == "A little bump in the road"  # the title stays PagerDuty's
    assert ai.group_name(NOTICE) == "A little bump in the road (API Service)"  # the summary's Source line
    assert ai.detected_entry(NOTICE) == \
        "PagerDuty incident A little bump in the road (service API Service) triggered (urgency high)"
    assert ai.resolved_entry(NOTICE) == "PagerDuty incident A little bump in the road (service API Service) resolved"
    [row] = [line for line in ai.alert_table(NOTICE) if line.startswith("| A little bump")]
    assert ("| priority=P1, service=API Service, service\\_id=PF9KMXH, team=Engineering, team\\_id=PFCVPS0, "
            "urgency=high |") in row


def test_a_service_name_cannot_ping_or_break_the_markdown():
    notice = dataclasses.replace(NOTICE, common_labels={"service": "@ops | [x](y)"})
    assert "@ops" not in ai.detected_entry(notice) and "\\[x\\]" in ai.detected_entry(notice)
    [row] = [line for line in ai.alert_table(notice) if line.startswith("| A little bump")]
    assert "\\|" in row and "@ops" not in row
    assert ai.group_name(dataclasses.replace(notice, common_labels={})) == "A little bump in the road"


@pytest.mark.parametrize("config, urgency, expected", [
    (AlertsConfig(), "high", Severity.MAJOR_OUTAGE),  # urgency by urgency_map, as before
    (AlertsConfig(), "low", Severity.DEGRADED_PERFORMANCE),
    (AlertsConfig(severity_label="priority", severity_map={"p1": "partial-outage"}), "high",
     Severity.PARTIAL_OUTAGE),  # the priority label by severity_map, when the config points at it
    (AlertsConfig(severity_label="priority", severity_map={"P2": "partial-outage"}), "low",
     Severity.DEGRADED_PERFORMANCE),  # a priority the map does not list: the urgency
])
def test_severity_by_urgency_or_by_the_priority_label(config, urgency, expected):
    labels = {**NOTICE.common_labels, "urgency": urgency}
    assert ai.severity_of(dataclasses.replace(NOTICE, urgency=urgency, common_labels=labels), config) is expected


@pytest.mark.parametrize("service, expected", [("checkout", ("checkout",)), ("API Service", ())])
def test_a_service_shaped_like_a_component_id_is_the_component(service, expected):
    """`alerts.component_label` is `service` by default: PagerDuty's service names the component when it can."""
    notice = dataclasses.replace(NOTICE, common_labels={**NOTICE.common_labels, "service": service})
    assert ai.components_of(notice, AlertsConfig()) == expected


def test_pagerduty_incidents_are_routed_by_their_team_the_first_one_it_names():
    """The documented incident names its teams (`Engineering`, PFCVPS0): `team=` routes match the first."""
    routes = parse_routes('team=Engineering -> github:acme/eng; * -> github:acme/incidents')
    notice = read_pagerduty(pagerduty_event("triggered"))
    assert route(routes, notice.common_labels) == ("github", "acme/eng")
    payload = pagerduty_event("triggered")
    payload["event"]["data"]["teams"].append({"id": "PSRE001", "summary": "SRE", "type": "team_reference"})
    assert read_pagerduty(payload).common_labels["team"] == "Engineering"
