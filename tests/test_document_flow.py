"""Issue 13, the document items end to end: what commands write into the incident body and onto the page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from conftest import FakeGitHub, post_github, run_worker
from incidents.document import parse_document
from incidents.profiles import get_profile

REPO = "Codertocat/Hello-World"
CONFIG = """timezone: America/Bogota
status_page:
  enabled: true
  slug: hello
"""
API = "/status/hello/api/v2"


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): CONFIG},
                      permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


def say(client, redis_conn, github, number, text):
    post_github(client, "issue_comment", github.comment_event(REPO, number, "alice", text))
    run_worker(redis_conn)


def timeline_texts(github, number=2, profile="timeline-rca-actions"):
    body = github.issues[(REPO, number)]["body"]
    return [entry.text for entry in parse_document(body, get_profile(profile), "America/Bogota").timeline]


def test_two_line_closing_message_reaches_the_timeline_and_the_status_page(client, redis_conn, github):
    """issue 13 item 20: Fluid's two-line closing message is sent whole; prose after a blank line is not."""
    say(client, redis_conn, github, 1, "/incident API errors")
    say(client, redis_conn, github, 2, "/status identified bad deploy")
    say(client, redis_conn, github, 2, "/status resolved The pool fix is deployed.\n"
                                       "The API is operating normally again.\n\nthanks all")
    [past] = client.get(f"{API}/incidents.json").get_json()["incidents"]
    assert past["incident_updates"][0]["body"] == "The pool fix is deployed.\nThe API is operating normally again."
    assert timeline_texts(github)[-1] == \
        "Status: resolved - The pool fix is deployed. The API is operating normally again."
    assert "thanks all" not in github.issues[(REPO, 2)]["body"]


def test_timeline_time_without_a_date_later_than_now_goes_to_the_day_before(client, redis_conn, github):
    """issue 13 item 22: `/timeline 14:05` sent at 06:13 is yesterday's; a dated future time is refused."""
    at_six = datetime(2026, 12, 2, 11, 13, tzinfo=timezone.utc)  # 06:13 in Bogota
    with time_machine.travel(at_six, tick=False):
        say(client, redis_conn, github, 1, "/incident API errors")
        say(client, redis_conn, github, 2, "/timeline 14:05 [impact-start] deploy reached production")
        reply = github.bot_comments(REPO, 2)[-1]
        assert "added to the timeline at 2026-12-01 14:05 (the day before: 14:05 had not come yet today)" in reply
        body = github.issues[(REPO, 2)]["body"]
        assert body.index("**December 01, 2026:**") < body.index("- 14:05 - [impact-start] deploy") \
            < body.index("**December 02, 2026:**")

        say(client, redis_conn, github, 2, "/timeline 2026-12-02 14:05 customers notified")
        reply = github.bot_comments(REPO, 2)[-1]
        assert "⚠️" in reply and "2026-12-02 14:05 has not come yet (it is 2026-12-02 06:13 now)" in reply
        assert github.issues[(REPO, 2)]["body"] == body  # nothing written
    assert "customers notified" not in github.issues[(REPO, 2)]["body"]
