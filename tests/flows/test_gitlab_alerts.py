"""GitLab's own alerts (issue 17 item 6): the start of the alert behind an incident issue that GitLab's alert
management opened, read with one GraphQL query, for the `[detected]` time. GitLab's API faked with `responses`;
the answers have the shapes of GitLab's GraphQL reference (`Issue.alertManagementAlerts`, `AlertManagementAlert
.startedAt` as the `Time` scalar, ISO 8601) and its documented errors."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from forges import build_forge
from forges.errors import ForgeError, TransientForgeError
from forges.gitlab import ISSUE_ALERTS_QUERY
from tests.support import GITLAB_URL

GRAPHQL = f"{GITLAB_URL}/api/graphql"


def _alerts(*started: str | None) -> dict:
    nodes = [{"iid": str(i), "startedAt": at} for i, at in enumerate(started, start=1)]
    return {"data": {"project": {"issue": {"alertManagementAlerts": {"nodes": nodes}}}}}


def test_the_alert_behind_an_incident_gives_its_start(settings, api):
    api.post(GRAPHQL, json=_alerts("2023-12-15T17:31:00Z"))
    started = build_forge("gitlab", settings).alert_started_at("group/project", 7)
    assert started == datetime(2023, 12, 15, 17, 31, tzinfo=UTC)
    [call] = api.calls
    assert json.loads(call.request.body) == {"query": ISSUE_ALERTS_QUERY,
                                             "variables": {"project": "group/project", "iid": "7"}}
    assert "alertManagementAlerts { nodes { iid startedAt } }" in ISSUE_ALERTS_QUERY
    assert call.request.headers["PRIVATE-TOKEN"] == "glpat-test"  # GitLab's GraphQL takes the REST API's tokens


def test_a_project_in_a_subgroup_is_named_by_its_full_path(settings, api):
    api.post(GRAPHQL, json=_alerts("2021-03-09T14:58:50+00:00"))  # the Time format of older GitLab versions
    started = build_forge("gitlab", settings).alert_started_at("group/sub/project", 12)
    assert started == datetime(2021, 3, 9, 14, 58, 50, tzinfo=UTC)
    assert json.loads(api.calls[0].request.body)["variables"] == {"project": "group/sub/project", "iid": "12"}


def test_several_linked_alerts_give_the_earliest_start(settings, api):
    api.post(GRAPHQL, json=_alerts("2026-12-03T10:15:00Z", None, "2026-12-03T09:58:12Z", "2026-12-03T11:00:00Z"))
    assert build_forge("gitlab", settings).alert_started_at("group/project", 7) == datetime(
        2026, 12, 3, 9, 58, 12, tzinfo=UTC)


@pytest.mark.parametrize("answer", [
    _alerts(),  # an issue no alert opened
    _alerts(None),  # an alert without a start
    {"data": {"project": {"issue": {"alertManagementAlerts": None}}}},  # alerts hidden from a guest
    {"data": {"project": {"issue": None}}},  # no such issue
    {"data": {"project": None}},  # no such project, or one the token cannot see
], ids=["no-alert", "no-start", "alerts-hidden", "no-issue", "no-project"])
def test_an_issue_without_a_started_alert_gives_none(settings, api, answer):
    api.post(GRAPHQL, json=answer)
    assert build_forge("gitlab", settings).alert_started_at("group/project", 7) is None
    assert len(api.calls) == 1


def test_a_refused_query_is_an_error_that_says_why(settings, api):
    api.post(GRAPHQL, json={"errors": [{
        "message": "Field 'alertManagementAlerts' doesn't exist on type 'Issue'",
        "locations": [{"line": 2, "column": 52}],
        "path": ["query IssueAlerts", "project", "issue", "alertManagementAlerts"],
        "extensions": {"code": "undefinedField", "typeName": "Issue", "fieldName": "alertManagementAlerts"}}]})
    with pytest.raises(ForgeError, match="doesn't exist on type 'Issue'") as raised:
        build_forge("gitlab", settings).alert_started_at("group/project", 7)
    assert not isinstance(raised.value, TransientForgeError)


def test_a_bad_token_is_not_retried(settings, api):
    api.post(GRAPHQL, status=401, json={"errors": [{"message": "Invalid token"}]})
    with pytest.raises(ForgeError) as raised:
        build_forge("gitlab", settings).alert_started_at("group/project", 7)
    assert raised.value.status == 401 and not isinstance(raised.value, TransientForgeError)


def test_a_rate_limit_is_transient_with_its_wait(settings, api):
    api.post(GRAPHQL, status=429, json={"message": "Retry later"}, headers={"Retry-After": "30"})
    with pytest.raises(TransientForgeError) as raised:
        build_forge("gitlab", settings).alert_started_at("group/project", 7)
    assert raised.value.retry_after == 30
    assert len(api.calls) == 1  # python-gitlab does not sleep through it


def test_a_server_error_is_transient(settings, api):
    api.post(GRAPHQL, status=502, body="Bad Gateway")
    with pytest.raises(TransientForgeError):
        build_forge("gitlab", settings).alert_started_at("group/project", 7)


def test_github_has_no_alerts_to_read(settings, api):
    assert build_forge("github", settings).alert_started_at("o/r", 7) is None  # and no call: `api` has none
