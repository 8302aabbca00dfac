"""Issue 13, the document items end to end: what commands write into the incident body and onto the page."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.document import parse_document
from incidents.profiles import get_profile
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

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
    at_six = datetime(2026, 12, 2, 11, 13, tzinfo=UTC)  # 06:13 in Bogota
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


def body_patches(fake_api, number=2):
    """The issue-body writes the bot sent for the incident."""
    return [call for call in fake_api.calls if call.request.method == "PATCH"
            and call.request.url.split("?")[0].endswith(f"/issues/{number}")
            and '"body"' in _text(call.request.body)]


def _text(body):
    return body.decode() if isinstance(body, bytes) else body or ""


def test_generated_impact_lines_follow_the_links_and_the_status_and_keep_what_people_wrote(
        client, redis_conn, fake_api, github):
    """issue 13 item 21: the lines `/postmortem` wrote are kept current, as the summary is; no write when
    they are unchanged; the words people wrote around them stay."""
    github.files[(REPO, ".github/incident-desk.yml")] = ("profile: impact-cause-solution-conclusion\n"
                                                         "timezone: America/Bogota\n")
    github.add_pull(REPO, 4, "Tune the connection pool", merged_at="2026-11-20T13:30:00Z", sha="a" * 40)
    github.add_pull(REPO, 5, "Revert pool tuning", merged_at="2026-11-20T15:10:00Z", sha="b" * 40)
    t0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        say(client, redis_conn, github, 1, "/incident api errors")
        say(client, redis_conn, github, 2, "/postmortem")
        body = github.issues[(REPO, 2)]["body"]
        assert "| Time to recover was unknown" in body and "| Time to detect was unknown" in body

        # A person writes the impact in their own words, above the bot's lines.
        marker = "<!-- incident-desk:impact -->"
        github.issues[(REPO, 2)]["body"] = body.replace(marker, "Checkout failed for EU customers.\n\n" + marker)
        writes = len(body_patches(fake_api))
        post_github(client, "issues", github.issues_event(REPO, 2, "edited", "alice"))
        run_worker(redis_conn)
        assert len(body_patches(fake_api)) == writes  # the lines are current: nothing written

        clock.move_to(t0 + timedelta(minutes=10))
        say(client, redis_conn, github, 2, "/caused-by #4\n/fixed-by #5")
        clock.move_to(t0 + timedelta(hours=2))
        say(client, redis_conn, github, 2, "/status resolved rolled back")

    body = github.issues[(REPO, 2)]["body"]
    impact = parse_document(body, get_profile("impact-cause-solution-conclusion"), "America/Bogota") \
        .sections["Impact"].text
    # By hand, in Bogota (UTC-5): cause merged 08:30, reported 09:00, fix merged 10:10, resolved 11:00.
    assert "at UTC-5 [1] 26-11-20 08:30 to [2] 26-11-20 10:10 | Time to recover was 2.5 hours" in impact
    assert "at UTC-5 [1] 26-11-20 09:00 | Time to detect was 30.0 minutes" in impact
    assert "at UTC-5 [1] 26-11-20 09:00 to [2] 26-11-20 11:00 | Time to fix was 2.0 hours" in impact
    assert "Checkout failed for EU customers." in impact and body.count(marker) == 1
    assert "unknown" not in impact
