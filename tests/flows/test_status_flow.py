"""Issue 8 end to end: incidents published on the status page as they are run, on both forges."""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import post_github, post_gitlab, run_worker

REPO, PROJECT = "Codertocat/Hello-World", "gitlabhq/gitlab-test"
CONFIG = """timezone: Europe/Berlin
components:
  - {id: api, name: Public API, description: REST and GraphQL, group: Core}
  - {id: web, name: Website, group: Core}
  - {id: mail, name: Email delivery}
status_page:
  enabled: true
  slug: hello
  title: Hello status
"""
API = "/status/hello/api/v2"


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): CONFIG},
                      permissions={"alice": "write", "bob": "read"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


def say(client, redis_conn, github, number, text, who="alice"):
    post_github(client, "issue_comment", github.comment_event(REPO, number, who, text))
    run_worker(redis_conn)


def summary(client):
    response = client.get(f"{API}/summary.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.get_json()


def states(data):
    return {c["id"]: c["status"] for c in data["components"]}


def test_identified_monitoring_resolved_each_update_on_the_page_in_order(client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident API errors for EU customers")
    assert summary(client)["incidents"] == []  # investigating: not public yet
    say(client, redis_conn, github, 2, "/severity partial-outage\n/component api")
    assert states(summary(client))["api"] == "operational"

    say(client, redis_conn, github, 2, "/status identified a bad deploy of the API gateway")
    data = summary(client)
    [incident] = data["incidents"]
    assert incident["name"] == "API errors for EU customers" and incident["status"] == "identified"
    assert [u["body"] for u in incident["incident_updates"]] == ["a bad deploy of the API gateway"]
    assert states(data) == {"api": "partial_outage", "web": "operational", "mail": "operational",
                            "group-core": "partial_outage"}
    assert data["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert "Posted on the status page." in github.bot_comments(REPO, 2)[-1]

    say(client, redis_conn, github, 2, "/severity major-outage\n/status monitoring rolled back, watching errors")
    data = summary(client)
    assert states(data)["api"] == "major_outage" and data["status"]["indicator"] == "critical"
    [incident] = data["incidents"]
    assert [u["status"] for u in incident["incident_updates"]] == ["monitoring", "identified"]  # newest first

    say(client, redis_conn, github, 2, "/status resolved error rate back to normal")
    data = summary(client)
    assert data["incidents"] == [] and set(states(data).values()) == {"operational"}
    assert data["status"] == {"indicator": "none", "description": "All Systems Operational"}

    [past] = client.get(f"{API}/incidents.json").get_json()["incidents"]
    assert [u["body"] for u in past["incident_updates"]] == [
        "error rate back to normal", "rolled back, watching errors", "a bad deploy of the API gateway"]
    assert past["status"] == "resolved" and past["resolved_at"].endswith("+01:00")  # Europe/Berlin in November
    assert past["shortlink"] == f"http://localhost:8000/status/hello/incidents/{past['id']}.html"

    page = client.get(f"/status/hello/incidents/{past['id']}.html").get_data(as_text=True)
    updates = re.findall(r'<span class="status">(\w+)</span>', page)
    assert updates == ["Resolved", "Monitoring", "Identified"]
    assert "Public API" in page and "CET" in page
    # The internal issue text never reaches the page: only the update messages do.
    assert "Declared by @alice" not in page and "alice" not in page


def test_an_incident_is_published_once_per_status_change_even_when_the_delivery_runs_twice(
        client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident API errors")
    payload = github.comment_event(REPO, 2, "alice", "/status identified bad deploy")
    post_github(client, "issue_comment", payload, delivery_id="same-delivery")
    run_worker(redis_conn)
    # Forge redelivery under a new id after a lost ack: the same comment must not post a second update.
    post_github(client, "issue_comment", payload, delivery_id="another-delivery")
    run_worker(redis_conn)
    [incident] = summary(client)["incidents"]
    assert len(incident["incident_updates"]) == 1


def test_unpublish_publish_and_workaround_commands(client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident Mail is slow")
    say(client, redis_conn, github, 2, "/component mail\n/severity degraded-performance\n/publish")
    [incident] = summary(client)["incidents"]
    assert incident["status"] == "investigating"
    assert incident["incident_updates"][0]["body"] == "We are investigating reports of a problem."
    assert summary(client)["status"]["indicator"] == "minor"

    say(client, redis_conn, github, 2, "/workaround send through the backup relay: https://example.com/relay")
    [incident] = summary(client)["incidents"]
    assert incident["workaround"] == "send through the backup relay: https://example.com/relay"
    assert incident["incident_updates"][0]["body"].startswith("Workaround: send through")
    overview = client.get("/status/hello/").get_data(as_text=True)
    assert "send through the backup relay" in overview and "Mail is slow" in overview

    say(client, redis_conn, github, 2, "/unpublish")
    assert summary(client)["incidents"] == [] and states(summary(client))["mail"] == "operational"
    assert client.get(f"/status/hello/incidents/{incident['id']}.html").status_code == 404

    say(client, redis_conn, github, 2, "/publish", who="bob")  # read access: refused
    assert summary(client)["incidents"] == []
    assert "⛔" in github.bot_comments(REPO, 2)[-1]


def test_private_incidents_never_reach_the_page(client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident Secret thing")
    github.issues[(REPO, 2)]["labels"].append("incident: private")
    post_github(client, "issues", github.issues_event(REPO, 2, "labeled", "alice", label={"name": "incident: private"}))
    run_worker(redis_conn)
    say(client, redis_conn, github, 2, "/status identified found it\n/publish")
    assert summary(client)["incidents"] == []
    assert "confidential" in github.bot_comments(REPO, 2)[-1]


def test_publish_without_a_page_says_how_to_turn_one_on(client, redis_conn, store, fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error")
    post_github(client, "issue_comment", fake.comment_event(REPO, 1, "alice", "/incident API down"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", fake.comment_event(REPO, 2, "alice", "/status identified x\n/publish"))
    run_worker(redis_conn)
    reply = fake.bot_comments(REPO, 2)[-1]
    assert "no status page shows `Codertocat/Hello-World`" in reply and "status_page.enabled" in reply
    assert client.get(f"{API}/summary.json").status_code == 404


def test_gitlab_status_label_publishes_and_feed_lists_the_updates(client, redis_conn, store, fake_api):
    gitlab = FakeGitLab(fake_api, files={(PROJECT, ".gitlab/incident-desk.yml"): CONFIG},
                        access={"alice": 30})
    gitlab.add_issue(PROJECT, 1, "Spelling")
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident Website down"))
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice", "/desk component web\n"
                                                                             "/desk severity major-outage"))
    run_worker(redis_conn)
    issue = gitlab.issues[(PROJECT, 2)]
    issue["labels"] = [label for label in issue["labels"] if not label.startswith("status::")] + ["status::identified"]
    payload = gitlab.issue_event(PROJECT, 2, "update", "alice")
    payload["changes"] = {"labels": {"previous": [], "current": [{"title": "status::identified"}]}}
    post_gitlab(client, "Issue Hook", payload)
    run_worker(redis_conn)

    data = summary(client)
    [incident] = data["incidents"]
    assert incident["status"] == "identified" and states(data)["web"] == "major_outage"
    assert incident["incident_updates"][0]["body"] == "The issue has been identified and a fix is being implemented."

    feed = client.get("/status/hello/feed.atom")
    assert feed.content_type.startswith("application/atom+xml")
    root = ET.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = root.findall("a:entry", ns)
    assert entry.find("a:title", ns).text == "Website down"
    assert "Identified" in entry.find("a:content", ns).text


def test_etag_answers_304_until_something_changes(client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident API errors")
    first = client.get(f"{API}/summary.json")
    assert first.headers["ETag"] and "max-age=30" in first.headers["Cache-Control"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(f"{API}/summary.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    say(client, redis_conn, github, 2, "/status identified found it")
    changed = client.get(f"{API}/summary.json", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["incidents"]


def test_reminder_asks_for_a_public_update_and_the_page_says_how_old_the_last_one_is(
        client, redis_conn, store, github):
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        say(client, redis_conn, github, 1, "/incident API errors")
        say(client, redis_conn, github, 2, "/status identified bad deploy")
        clock.move_to(start + timedelta(minutes=42))
        overview = client.get("/status/hello/").get_data(as_text=True)
        assert "Last updated <time" in overview and "42 minutes ago" in overview

        clock.move_to(start + timedelta(minutes=61))
        run_worker(redis_conn)
        reminder = github.bot_comments(REPO, 2)[-1]
        assert "since the last update" in reminder
        [public_id] = [i["id"] for i in summary(client)["incidents"]]
        assert "public status page is due an update too (last one 61 minutes ago)" in reminder
        assert f"http://localhost:8000/status/hello/incidents/{public_id}.html" in reminder


def test_reminder_of_an_unpublished_incident_does_not_mention_the_page(client, redis_conn, store, github):
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        say(client, redis_conn, github, 1, "/incident API errors")
        clock.move_to(start + timedelta(minutes=61))
        run_worker(redis_conn)
        reminder = github.bot_comments(REPO, 2)[-1]
        assert "since the last update" in reminder and "status page" not in reminder


def test_static_export_writes_the_same_pages_with_relative_links(client, redis_conn, store, github, tmp_path):
    say(client, redis_conn, github, 1, "/incident API errors <b>now</b>")
    say(client, redis_conn, github, 2, "/component api\n/status identified a bad deploy")
    say(client, redis_conn, github, 2, "/status resolved rolled back")
    say(client, redis_conn, github, 2, "/publish postmortem")
    result = subprocess.run([sys.executable, "-m", "incident_desk.cli", "status", "export", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [public_id] = [i["id"] for i in client.get(f"{API}/incidents.json").get_json()["incidents"]]
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(["index.html", "history.html", "feed.atom", "api/v2/summary.json",
                              "api/v2/status.json", "api/v2/components.json", "api/v2/incidents.json",
                              "api/v2/incidents/unresolved.json", "api/v2/scheduled-maintenances.json",
                              "api/v2/scheduled-maintenances/upcoming.json",
                              "api/v2/scheduled-maintenances/active.json", f"incidents/{public_id}.html"])
    for path in ("api/v2/summary.json", "api/v2/incidents.json", f"incidents/{public_id}.html"):
        assert (tmp_path / path).read_text() == client.get(f"/status/hello/{path}").get_data(as_text=True)
    overview = (tmp_path / "index.html").read_text()
    hrefs = re.findall(r'href="([^"]+)"', overview)
    assert f"incidents/{public_id}.html" in hrefs and "history.html" in hrefs
    assert not [h for h in hrefs if h.startswith("/")]  # works under a Pages sub-path
    incident_page = (tmp_path / f"incidents/{public_id}.html").read_text()
    assert 'href="../history.html"' in incident_page
    assert "API errors &lt;b&gt;now&lt;/b&gt;" in incident_page  # people's text is escaped


def test_published_postmortem_shows_written_sections_only(client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident API errors")
    say(client, redis_conn, github, 2, "/status identified a bad deploy")
    say(client, redis_conn, github, 2, "/publish postmortem")
    assert "no written sections" in github.bot_comments(REPO, 2)[-1]
    body = github.issues[(REPO, 2)]["body"]
    body = body.replace("## Root cause analysis", "## Root cause analysis\n\nA config push disabled the cache. "
                                         "<script>alert(1)</script> [x](javascript:alert(1))", 1)
    github.issues[(REPO, 2)]["body"] = body
    say(client, redis_conn, github, 2, "/publish postmortem")
    assert "postmortem published" in github.bot_comments(REPO, 2)[-1]
    [incident] = summary(client)["incidents"]
    page = client.get(f"/status/hello/incidents/{incident['id']}.html").get_data(as_text=True)
    assert "<h2>Root cause analysis</h2>" in page and "A config push disabled the cache." in page
    assert "<script>" not in page and 'href="javascript:' not in page
    assert "Declared by" not in page  # the issue's header is not a postmortem section


def test_closing_a_published_incident_without_resolving_it_resolves_it_on_the_page(
        client, redis_conn, store, github):
    say(client, redis_conn, github, 1, "/incident API errors")
    say(client, redis_conn, github, 2, "/component api\n/severity major-outage\n/status identified bad deploy")
    assert states(summary(client))["api"] == "major_outage"
    github.issues[(REPO, 2)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(REPO, 2, "closed", "alice"))
    run_worker(redis_conn)
    data = summary(client)
    assert data["incidents"] == [] and states(data)["api"] == "operational"
    [past] = client.get(f"{API}/incidents.json").get_json()["incidents"]
    assert past["status"] == "resolved" and past["resolved_at"]
    assert past["incident_updates"][0]["body"] == "This incident has been resolved."


def test_a_slug_taken_by_another_repository_is_told_on_the_incident_once(client, redis_conn, store, github):
    from incidents.status_page import StatusPage

    store.save_status_page(StatusPage("hello", "Theirs", "UTC", (), platform="github", repository="someone/else"))
    github.add_issue(REPO, 3, "Checkout down", labels=("incident",))
    post_github(client, "issues", github.issues_event(REPO, 3, "opened", "alice"))
    run_worker(redis_conn)

    [warning] = [c for c in github.bot_comments(REPO, 3) if "could not use part" in c]
    assert "`status_page.slug`" in warning and "already has this slug" in warning and "'hello'" in warning
    assert store.status_page("hello")[0].repository == "someone/else"  # the first page keeps its slug

    post_github(client, "issues", github.issues_event(REPO, 3, "edited", "alice"))
    run_worker(redis_conn)
    assert len([c for c in github.bot_comments(REPO, 3) if "could not use part" in c]) == 1
