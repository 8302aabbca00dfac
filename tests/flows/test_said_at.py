"""A delayed delivery (a worker down, the database locked, the forge answering 502 for an hour) delays a command's
effect but not its time: the timeline, resolved_at and the reminders' clock take the comment's own time."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from incidents.document import parse_document
from incidents.profiles import get_profile
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"
SAID = datetime(2026, 11, 20, 23, 50, tzinfo=UTC)  # said late on the 20th (UTC, the default timezone)
RUN = SAID + timedelta(hours=1, minutes=10)  # and run on the 21st


def test_commands_run_late_are_recorded_when_they_were_said(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api, permissions={"alice": "write"})
    github.add_issue(REPO, 1, "API errors", "The API answers 500.", labels=["incident"], author="alice")
    with time_machine.travel(SAID - timedelta(minutes=30)):
        post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice"))
        run_worker(redis_conn)
    with time_machine.travel(SAID):
        post_github(client, "issue_comment", github.comment_event(
            REPO, 1, "alice", "/severity major-outage\n/timeline 23:45 failover started\n/status resolved rolled back"))
    with time_machine.travel(RUN):
        run_worker(redis_conn)
    incident = store.get_incident("github", REPO, 1)
    assert incident.status.value == "resolved"
    assert incident.resolved_at == SAID and incident.last_update_at == SAID
    timeline = parse_document(github.issues[(REPO, 1)]["body"], get_profile(None)).timeline
    at = {entry.text: entry.at for entry in timeline}
    assert at["failover started"] == datetime(2026, 11, 20, 23, 45, tzinfo=UTC)  # the 20th: the day it was said
    assert at["Status: resolved - rolled back"] == SAID
