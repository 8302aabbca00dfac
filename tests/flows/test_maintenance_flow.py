"""Issue 18 item 1 end to end, under a frozen clock: a maintenance issue opened from the form is upcoming on the
page and in the API, under maintenance at its start, completed at its end; each subscriber hears each step once;
the schedule survives Redis losing it; editing reschedules, closing early completes, unlabelling cancels."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import responses
import time_machine
from rq.registry import ScheduledJobRegistry

from incidents.config_model import Component
from issue_templates.render import GITLAB_MAINTENANCE, render_templates
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.flows.test_status_notify import start_smtp
from tests.support import post_github, post_gitlab, run_worker
from worker.deferred import maintenance_job_id
from worker.maintenance_jobs import arm_maintenances
from worker.queue import deliveries_queue

REPO = "Codertocat/Hello-World"
CONFIG = """timezone: Europe/Berlin
components:
  - {id: api, name: Public API, group: Core}
  - {id: web, name: Website, group: Core}
  - {id: mail, name: Email delivery}
status_page: {enabled: true, slug: hello, title: Hello status}
"""
API = "/status/hello/api/v2"
# As GitHub writes the maintenance form into the issue body.
BODY = """### Start

{start}

### End

{end}

### Components

- [X] Public API (api)
- [ ] Website (web)
- [ ] Email delivery (mail)

### Message

The database gets a new major version.
"""
# The issue is opened on Dec 3 at 10:00 UTC, for tomorrow 02:00-03:00 in Berlin (01:00-02:00 UTC).
OPENED, REMINDER = datetime(2026, 12, 3, 10, tzinfo=UTC), datetime(2026, 12, 4, 0, 0, 30, tzinfo=UTC)
START, END = datetime(2026, 12, 4, 1, 0, 30, tzinfo=UTC), datetime(2026, 12, 4, 2, 0, 30, tzinfo=UTC)
STATUS_KEYS = {"id", "page_id", "name", "status", "impact", "shortlink", "created_at", "started_at", "updated_at",
               "monitoring_at", "resolved_at", "incident_updates", "components", "scheduled_for", "scheduled_until"}


def github_with(body: str, fake_api) -> FakeGitHub:
    fake = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): CONFIG}, permissions={"alice": "write"})
    fake.add_issue(REPO, 7, "Database upgrade", body, labels=["maintenance"], author="alice")
    return fake


def get(client, path):
    response = client.get(f"{API}/{path}")
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.get_json()


def states(client):
    return {c["id"]: c["status"] for c in get(client, "summary.json")["components"]}


def subjects(inbox, address):
    return [m["Subject"].rsplit(": ", 1)[1] for m in inbox.to(address)]


def open_issue(client, redis_conn, github, action="opened", **extra):
    post_github(client, "issues", github.issues_event(REPO, 7, action, "alice", **extra))
    run_worker(redis_conn)


def test_form_to_scheduled_in_progress_completed_each_subscriber_told_once(mail_client, redis_conn, store,
                                                                          fake_api, smtp_port):
    github = github_with(BODY.format(start="2026-12-04 02:00", end="2026-12-04 03:00"), fake_api)
    controller, inbox = start_smtp(smtp_port)
    try:
        with time_machine.travel(OPENED):
            store.add_subscriber("hello", "email", "ana@example.com", [], confirmed=True)
            store.add_subscriber("hello", "email", "api@example.com", ["api"], confirmed=True)
            store.add_subscriber("hello", "email", "mail-team@example.com", ["mail"], confirmed=True)
            open_issue(mail_client, redis_conn, github)
            [upcoming] = get(mail_client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
            assert set(upcoming) == STATUS_KEYS
            assert upcoming["status"] == "scheduled" and upcoming["name"] == "Database upgrade"
            assert upcoming["scheduled_for"] == "2026-12-04T02:00:00.000+01:00"
            assert upcoming["scheduled_until"] == "2026-12-04T03:00:00.000+01:00"
            assert [c["id"] for c in upcoming["components"]] == ["api"]
            assert [u["body"] for u in upcoming["incident_updates"]] == ["The database gets a new major version."]
            assert get(mail_client, "scheduled-maintenances/active.json")["scheduled_maintenances"] == []
            summary = get(mail_client, "summary.json")
            assert [m["id"] for m in summary["scheduled_maintenances"]] == [upcoming["id"]]
            assert states(mail_client)["api"] == "operational"
            page = mail_client.get("/status/hello/").get_data(as_text=True)
            assert "Database upgrade" in page and "No scheduled maintenance" not in page
            [confirmation] = github.bot_comments(REPO, 7)
            assert "Dec 04, 2026 02:00 CET" in confirmation and "1 hour before" in confirmation
            assert subjects(inbox, "ana@example.com") == ["Scheduled"]

        redis_conn.flushdb()  # Redis loses the schedule; the worker's start re-creates it from the database
        with time_machine.travel(OPENED + timedelta(minutes=5)):
            assert arm_maintenances(redis_conn, store) == 1
            run_worker(redis_conn)
            scheduled = ScheduledJobRegistry(queue=deliveries_queue(redis_conn))
            assert maintenance_job_id(upcoming["id"]) in scheduled.get_job_ids()
            assert arm_maintenances(redis_conn, store) == 0  # there: not doubled
            redis_conn.flushdb()  # and again: this time the next delivery finds it missing
            post_github(mail_client, "issue_comment", github.comment_event(REPO, 7, "alice", "Looks good."))
            run_worker(redis_conn)
            assert maintenance_job_id(upcoming["id"]) in scheduled.get_job_ids()

        with time_machine.travel(REMINDER):
            run_worker(redis_conn)
            assert subjects(inbox, "ana@example.com") == ["Scheduled", "Starting soon"]
            assert states(mail_client)["api"] == "operational"

        with time_machine.travel(START):
            run_worker(redis_conn)
            assert states(mail_client) == {"api": "under_maintenance", "web": "operational", "mail": "operational",
                                           "group-core": "under_maintenance"}
            [active] = get(mail_client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
            assert active["status"] == "in_progress"
            assert active["incident_updates"][0]["affected_components"] == [
                {"code": "api", "name": "Public API", "old_status": "operational", "new_status": "under_maintenance"}]
            assert get(mail_client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"] == []
            assert get(mail_client, "summary.json")["status"]["indicator"] == "none"
            page = mail_client.get("/status/hello/").get_data(as_text=True)
            assert "Under maintenance: Public API" in page

        with time_machine.travel(END):
            run_worker(redis_conn)
            assert set(states(mail_client).values()) == {"operational"}
            [done] = get(mail_client, "scheduled-maintenances.json")["scheduled_maintenances"]
            assert done["status"] == "completed" and done["resolved_at"] == "2026-12-04T03:00:00.000+01:00"
            assert [u["status"] for u in done["incident_updates"]] == ["completed", "in_progress", "scheduled"]
            assert get(mail_client, "summary.json")["scheduled_maintenances"] == []
            page = mail_client.get("/status/hello/").get_data(as_text=True)
            # The window is not downtime: the day counts as no incidents and the uptime stays whole.
            assert 'aria-label="Public API: 100.0% uptime over the last 90 days"' in page
            assert 'title="Dec 4, 2026: no incidents"' in page
            feed = mail_client.get("/status/hello/feed.atom").get_data(as_text=True)
            assert "Scheduled maintenance: Database upgrade" in feed
            history = mail_client.get("/status/hello/history.html").get_data(as_text=True)
            assert "Database upgrade" in history and "completed" in history

        with time_machine.travel(END + timedelta(hours=2)):
            run_worker(redis_conn)  # nothing is told twice
        expected = ["Scheduled", "Starting soon", "In progress", "Completed"]
        assert subjects(inbox, "ana@example.com") == expected
        assert subjects(inbox, "api@example.com") == expected
        assert inbox.to("mail-team@example.com") == []  # chose another component
    finally:
        controller.stop()


def scheduled_then_moved(client, redis_conn, store, github) -> None:
    """ana subscribes; the maintenance is scheduled for Dec 4, then moved to Dec 5 02:00-04:00 (Berlin)."""
    store.add_subscriber("hello", "email", "ana@example.com", [], confirmed=True)
    open_issue(client, redis_conn, github)
    github.issues[(REPO, 7)]["body"] = BODY.format(start="2026-12-05 02:00", end="2026-12-05 04:00")
    open_issue(client, redis_conn, github, "edited")


def test_editing_reschedules_closing_completes_unlabelling_cancels(mail_client, redis_conn, store, fake_api,
                                                                  smtp_port):
    github = github_with(BODY.format(start="2026-12-04 02:00", end="2026-12-04 03:00"), fake_api)
    controller, inbox = start_smtp(smtp_port)
    try:
        with time_machine.travel(OPENED):
            scheduled_then_moved(mail_client, redis_conn, store, github)
            [moved] = get(mail_client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
            assert moved["scheduled_for"] == "2026-12-05T02:00:00.000+01:00"
            assert "Dec 05, 2026 02:00 CET" in github.bot_comments(REPO, 7)[-1]

        with time_machine.travel(START):  # the old start: nothing happens
            run_worker(redis_conn)
            assert states(mail_client)["api"] == "operational"

        with time_machine.travel(datetime(2026, 12, 5, 1, 30, tzinfo=UTC)):  # the new window, then closed early
            run_worker(redis_conn)
            assert states(mail_client)["api"] == "under_maintenance"
            github.issues[(REPO, 7)]["state"] = "closed"
            open_issue(mail_client, redis_conn, github, "closed")
            assert states(mail_client)["api"] == "operational"
            [done] = get(mail_client, "scheduled-maintenances.json")["scheduled_maintenances"]
            assert done["status"] == "completed"
        assert subjects(inbox, "ana@example.com") == ["Scheduled", "Rescheduled", "In progress", "Completed"]

        github.add_issue(REPO, 8, "Mail relay swap", BODY.format(start="2026-12-06 02:00", end="2026-12-06 03:00"),
                         labels=["maintenance"], author="alice")
        with time_machine.travel(datetime(2026, 12, 5, 2, tzinfo=UTC)):
            post_github(mail_client, "issues", github.issues_event(REPO, 8, "opened", "alice"))
            run_worker(redis_conn)
            github.issues[(REPO, 8)]["labels"] = []
            post_github(mail_client, "issues", github.issues_event(REPO, 8, "unlabeled", "alice",
                                                                   label={"id": 1, "name": "maintenance"}))
            run_worker(redis_conn)
            assert get(mail_client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"] == []
            assert "cancelled" in github.bot_comments(REPO, 8)[-1]
        assert [m["Subject"] for m in inbox.to("ana@example.com")][-2:] == [
            "[Hello status] Scheduled maintenance: Mail relay swap: Scheduled",
            "[Hello status] Scheduled maintenance: Mail relay swap: Cancelled"]
    finally:
        controller.stop()



def mail_text(message) -> str:
    return message.get_body(("plain",)).get_content() if message.is_multipart() else message.get_content()


def test_moving_the_times_tells_subscribers_the_new_window_once_per_move(mail_client, redis_conn, store, fake_api,
                                                                          smtp_port):
    github = github_with(BODY.format(start="2026-12-04 02:00", end="2026-12-04 03:00"), fake_api)
    controller, inbox = start_smtp(smtp_port)
    try:
        with time_machine.travel(OPENED):
            scheduled_then_moved(mail_client, redis_conn, store, github)
            open_issue(mail_client, redis_conn, github, "edited")  # redelivered, or an edit of the message only
            assert subjects(inbox, "ana@example.com") == ["Scheduled", "Rescheduled"]
            moved = mail_text(inbox.to("ana@example.com")[-1])
            assert "rescheduled: it now runs from Dec 05, 2026 02:00 CET to Dec 05, 2026 04:00 CET" in moved
            [shown] = get(mail_client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
            assert [u["body"].split(":")[0] for u in shown["incident_updates"]] == [
                "The maintenance is rescheduled", "The database gets a new major version."]  # newest first

        with time_machine.travel(OPENED + timedelta(hours=1)):  # moved again: told again, the newest times
            github.issues[(REPO, 7)]["body"] = BODY.format(start="2026-12-06 02:00", end="2026-12-06 03:00")
            open_issue(mail_client, redis_conn, github, "edited")
            assert subjects(inbox, "ana@example.com") == ["Scheduled", "Rescheduled", "Rescheduled"]
            assert "Dec 06, 2026 02:00 CET" in mail_text(inbox.to("ana@example.com")[-1])
    finally:
        controller.stop()

HOOK = "https://hooks.example.com/status"
DISCORD = "https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"


def test_webhook_subscribers_and_chat_targets_hear_each_step_once(client, redis_conn, store, fake_api, monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_CHAT_TARGETS", f"discord={DISCORD}")
    fake_api.add(responses.POST, HOOK, status=204)
    fake_api.add(responses.POST, DISCORD, status=204)
    github = github_with(BODY.format(start="2026-12-04 02:00", end="2026-12-04 03:00"), fake_api)
    github.files[(REPO, ".github/incident-desk.yml")] = CONFIG + "notifications:\n  - target: discord\n" \
                                                                 "    events: [maintenance]\n"
    with time_machine.travel(OPENED):
        store.add_subscriber("hello", "webhook", HOOK, [], secret="s3cret", confirmed=True)
        open_issue(client, redis_conn, github)
    for moment in (REMINDER, START, END, END + timedelta(hours=1)):
        with time_machine.travel(moment):
            run_worker(redis_conn)
    hooks = [json.loads(c.request.body) for c in fake_api.calls if c.request.url == HOOK]
    assert [(h["incident"]["name"], h["incident"]["status"]) for h in hooks] == [
        ("Database upgrade", "scheduled"), ("Database upgrade", "scheduled"), ("Database upgrade", "in_progress"),
        ("Database upgrade", "completed")]
    assert hooks[0]["incident"]["scheduled_for"] == "2026-12-04T02:00:00.000+01:00"
    assert hooks[2]["page"]["id"] == "hello"
    told = [json.loads(c.request.body)["content"] for c in fake_api.calls if c.request.url == DISCORD]
    assert len(told) == 4 and "Maintenance scheduled: Database upgrade" in told[0]
    assert "Maintenance completed" in told[3]


def test_a_gitlab_issue_from_the_template_is_upcoming(client, redis_conn, store, fake_api):
    project = "gitlabhq/gitlab-test"
    gitlab = FakeGitLab(fake_api, files={(project, ".gitlab/incident-desk.yml"): CONFIG}, access={"alice": 30})
    template = render_templates("gitlab", components=[Component("api", "Public API", "", None)])[GITLAB_MAINTENANCE]
    body = template.replace("- [ ] Public API (api)", "- [x] Public API (api)").split("/label")[0]  # GitLab ran it
    gitlab.add_issue(project, 3, "Database upgrade", body, labels=["maintenance"], author="alice")
    with time_machine.travel(OPENED):
        post_gitlab(client, "Issue Hook", gitlab.issue_event(project, 3, "open", "alice"))
        run_worker(redis_conn)
        [upcoming] = get(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert upcoming["scheduled_for"] == "2026-12-04T02:00:00.000+01:00"
    assert [c["id"] for c in upcoming["components"]] == ["api"]
