"""Issue 17 end to end: Alertmanager, Grafana and PagerDuty notifications posted as their senders post them
(real tokens, real signatures) through the Flask test client; a real worker runs them against the faked GitHub,
and the assertions are on what GitHub received and holds."""
from __future__ import annotations

import copy

import pytest

from incident_desk.settings import Settings
from tests.alert_support import (
    GRAFANA,
    GRAFANA_TOKEN,
    PAGERDUTY_SECRET,
    PROCESS_ALERT,
    SOURCE,
    TOKEN,
    alert_fixture,
    firing,
    pagerduty_event,
    post_alertmanager,
    post_pagerduty,
    resolved,
    with_second_alert,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import post_github, post_gitlab, run_worker
from worker.queue import JOBS_METRIC, deliveries_queue

PAYMENTS, DEFAULT, SEARCH = "acme/payments", "Codertocat/Hello-World", "acme/search"
CHECKOUT = "acme/checkout"
ROUTES = f"team=payments -> github:{PAYMENTS}; team=search -> github:{SEARCH}; * -> github:{DEFAULT}"
SEARCH_CONFIG = "alerts:\n  on_resolved: resolved\n"


@pytest.fixture
def alert_env(settings, monkeypatch):
    env = {"INCIDENT_DESK_ALERT_SOURCES": f"{SOURCE}={TOKEN} {GRAFANA}={GRAFANA_TOKEN}",
           "PAGERDUTY_WEBHOOK_SECRETS": PAGERDUTY_SECRET,
           "INCIDENT_DESK_ALERT_ROUTES": ROUTES}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


@pytest.fixture
def client(alert_env, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": alert_env, "TESTING": True}).test_client()


@pytest.fixture
def github(fake_api):
    return FakeGitHub(fake_api, files={(SEARCH, ".github/incident-desk.yml"): SEARCH_CONFIG})


def notify(client, redis_conn, payload, times: int = 1) -> None:
    for _ in range(times):
        assert post_alertmanager(client, SOURCE, payload, TOKEN).status_code == 202
    run_worker(redis_conn)


def comments(github, repo=PAYMENTS, number=1) -> list[str]:
    return [c["body"] for c in github.comments.get((repo, number), [])]


def test_a_firing_group_opens_one_incident_detected_at_the_alert_time(client, redis_conn, github, store):
    notify(client, redis_conn, firing())
    [(repo, number)] = list(github.issues)
    assert (repo, number) == (PAYMENTS, 1)
    issue = github.issues[(repo, number)]
    assert issue["title"] == "Instance db-1:9100 down"
    assert {"incident", "status: investigating", "severity: major-outage", "component: database"} <= \
        set(issue["labels"])
    assert "https://runbooks.example.com/instance-down" in issue["body"] and "db-1:9100" in issue["body"]
    assert "**November 30, 2026:**\n\n- 09:52 - [detected] Alert InstanceDown" in issue["body"]  # startsAt, UTC
    summary = next(c for c in comments(github) if "Incident summary" in c)
    assert "**Source:** [Instance db-1:9100 down](http://prometheus.example.com:9090/graph?" in summary
    assert '(`{}/{team="payments"}:{alertname="InstanceDown", job="node"}` from prometheus)' in summary
    assert "detected by alert at 2026-11-30 09:52 UTC" in summary
    assert "**TTF** unknown (timeline tag \\[detected\\] 26-11-30 09:52 UTC" in summary  # from the alert's time
    incident = store.get_incident("github", PAYMENTS, 1)
    assert store.alert_group_of(incident).group == firing()["groupKey"]


def test_the_same_notification_repeated_makes_nothing_new(client, redis_conn, github):
    notify(client, redis_conn, firing(), times=5)
    said = comments(github)
    # Past the receiver's 72 hours: the job itself sees the group has nothing new.
    deliveries_queue(redis_conn).enqueue(PROCESS_ALERT, SOURCE, "later", firing())
    run_worker(redis_conn)
    assert list(github.issues) == [(PAYMENTS, 1)] and comments(github) == said


def test_a_second_alert_in_the_group_updates_the_table_in_place(client, redis_conn, github):
    notify(client, redis_conn, firing())
    said = comments(github)
    notify(client, redis_conn, with_second_alert(firing()))
    body = github.issues[(PAYMENTS, 1)]["body"]
    assert "db-2" in body and body.count("<!-- incident-desk:alerts -->") == 1
    assert list(github.issues) == [(PAYMENTS, 1)] and len(comments(github)) == len(said)


def test_resolution_is_a_timeline_entry_and_one_comment_keeping_the_status(client, redis_conn, github, store):
    notify(client, redis_conn, firing())
    notify(client, redis_conn, resolved(), times=3)
    body = github.issues[(PAYMENTS, 1)]["body"]
    assert "- 10:31 - Alert InstanceDown from prometheus resolved" in body  # at endsAt
    assert sum("resolved at 2026-11-30 10:31 UTC" in c for c in comments(github)) == 1
    assert "status: investigating" in github.issues[(PAYMENTS, 1)]["labels"]  # on_resolved: comment
    assert store.get_incident("github", PAYMENTS, 1).status.value == "investigating"


def _for_search(payload: dict) -> dict:
    payload = copy.deepcopy(payload)
    payload["groupKey"] = payload["groupKey"].replace("payments", "search")
    payload["commonLabels"]["team"] = "search"
    for alert in payload["alerts"]:
        alert["labels"]["team"] = "search"
    return payload


def test_on_resolved_resolved_moves_the_status(client, redis_conn, github, store):
    notify(client, redis_conn, _for_search(firing()))
    notify(client, redis_conn, _for_search(resolved()))
    assert "status: resolved" in github.issues[(SEARCH, 1)]["labels"]
    assert store.get_incident("github", SEARCH, 1).status.value == "resolved"
    assert "The status is now **resolved**" in comments(github, SEARCH)[-1]


def test_firing_again_soon_after_resolution_reopens_the_same_incident(client, redis_conn, github):
    notify(client, redis_conn, firing())
    notify(client, redis_conn, resolved())
    github.issues[(PAYMENTS, 1)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(PAYMENTS, 1, "closed", "alice"))
    run_worker(redis_conn)
    again = firing()
    again["alerts"][0]["startsAt"] = "2026-11-30T10:45:00Z"  # 13 minutes after it resolved
    notify(client, redis_conn, again)
    assert list(github.issues) == [(PAYMENTS, 1)] and github.issues[(PAYMENTS, 1)]["state"] == "open"
    assert "- 10:45 - " in github.issues[(PAYMENTS, 1)]["body"]  # firing again, at its new startsAt


def test_pagerduty_triggered_acknowledged_resolved(client, redis_conn, github):
    for kind in ("triggered", "acknowledged", "resolved"):
        assert post_pagerduty(client, pagerduty_event(kind), PAGERDUTY_SECRET).status_code == 202
        run_worker(redis_conn)
    [(repo, number)] = list(github.issues)
    assert repo == DEFAULT  # its labels (service API Service, no team) match only the default route
    issue = github.issues[(repo, number)]
    assert issue["title"] == "A little bump in the road"
    assert "https://acme.pagerduty.com/incidents/PGR0VU2" in issue["body"]
    assert "severity: major-outage" in issue["labels"]  # urgency high
    assert "Tenex Engineer" in issue["body"]  # who acknowledged, in the timeline
    assert sum("resolved at" in c for c in comments(github, repo, number)) == 1


def test_pagerduty_incidents_are_routed_by_their_service(client, redis_conn, github, monkeypatch):
    """A route on PagerDuty's service (`service` is its summary, `service_id` its id): the incident opens in
    that service's repository, and the summary and timeline name the service."""
    monkeypatch.setenv("INCIDENT_DESK_ALERT_ROUTES", f'service="Checkout API" -> github:{CHECKOUT}; {ROUTES}')
    for kind in ("triggered", "acknowledged", "resolved"):
        payload = pagerduty_event(kind)
        payload["event"]["data"]["service"]["summary"] = "Checkout API"  # the fixture's "API Service", renamed
        assert post_pagerduty(client, payload, PAGERDUTY_SECRET).status_code == 202
        run_worker(redis_conn)
    assert list(github.issues) == [(CHECKOUT, 1)]
    issue = github.issues[(CHECKOUT, 1)]
    assert issue["title"] == "A little bump in the road"
    assert "[detected] PagerDuty incident A little bump in the road (service Checkout API) triggered" in issue["body"]
    assert "service=Checkout API, service\\_id=PF9KMXH" in issue["body"]  # the table's labels
    summary = next(c for c in comments(github, CHECKOUT) if "Incident summary" in c)
    assert "**Source:** [A little bump in the road (Checkout API)](https://acme.pagerduty.com/incidents/PGR0VU2)" \
        in summary
    assert sum("resolved at" in c for c in comments(github, CHECKOUT)) == 1


def test_an_alert_no_route_matches_is_refused_with_a_reason(client, redis_conn, github, monkeypatch, caplog):
    monkeypatch.setenv("INCIDENT_DESK_ALERT_ROUTES", f"team=payments -> github:{PAYMENTS}")
    notify(client, redis_conn, _for_search(firing()))
    assert github.issues == {}
    assert int(redis_conn.hget(JOBS_METRIC, f"alerts|{SOURCE}|refused")) == 1
    assert any("no route" in record.getMessage() for record in caplog.records)


def test_an_incident_gitlab_opened_from_its_own_alert_is_detected_at_the_alert_start(client, redis_conn, fake_api,
                                                                                    store):
    """Issue 17 item 6: GitLab's alert management opens the incident issue; its alert's start is `[detected]`."""
    gitlab = FakeGitLab(fake_api)
    gitlab.add_issue("group/project", 5, "High error rate on checkout", "", author="alert-bot")
    gitlab.alerts[("group/project", 5)] = ["2026-12-03T06:58:00Z"]
    payload = gitlab.issue_event("group/project", 5, "open", "alert-bot")
    payload["object_attributes"]["type"] = "Incident"
    post_gitlab(client, "Issue Hook", payload)
    run_worker(redis_conn)
    body = gitlab.issues[("group/project", 5)]["description"]
    assert "- 06:58 - [detected] The alert that opened this incident started" in body
    assert store.get_incident("gitlab", "group/project", 5) is not None


def test_grafana_s_contact_point_opens_one_incident_for_its_two_alerts(client, redis_conn, github):
    for _ in range(3):
        assert post_alertmanager(client, GRAFANA, alert_fixture("grafana_firing"), GRAFANA_TOKEN).status_code == 202
    run_worker(redis_conn)
    [(repo, number)] = list(github.issues)
    assert repo == DEFAULT  # team=blue: the default route
    body = github.issues[(repo, number)]["body"]
    assert "High memory usage" in body and "High CPU usage" in body


def test_a_route_list_the_worker_cannot_read_stops_it_at_start(monkeypatch):
    from click.testing import CliRunner

    from incident_desk.cli.run import worker

    monkeypatch.setenv("INCIDENT_DESK_ALERT_ROUTES", "team=payments github:acme/payments")
    result = CliRunner().invoke(worker, ["--burst"])
    assert result.exit_code == 2 and "INCIDENT_DESK_ALERT_ROUTES" in result.output
