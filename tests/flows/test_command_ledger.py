"""Issue 13 items 10, 11 and 6: each command of a comment takes effect once across retries, the later
comment wins, and a long comment's timeline lines are written in one body edit and resume after a fault."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.document import parse_document
from incidents.model import Status
from incidents.profiles import get_profile
from incidents.summary import BOT_MARKER, SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import post_github, post_gitlab, request_json, run_worker

REPO, BACKLOG, PROJECT = "Codertocat/Hello-World", "team/backlog", "gitlabhq/gitlab-test"


class FlakyGitHub(FakeGitHub):
    """GitHub whose next reply comments (or issue-body edits) answer 502 Bad Gateway."""

    fail_replies = 0
    fail_summaries = 0
    body_edits_before_failure = None  # this many body edits succeed, then one answers 502

    def _add_comment(self, body, repo, n):
        if self.fail_replies and body["body"].startswith(BOT_MARKER):
            self.fail_replies -= 1
            return 502, {"message": "Server Error"}
        if self.fail_summaries and body["body"].startswith(SUMMARY_MARKER):
            self.fail_summaries -= 1
            return 502, {"message": "Server Error"}
        return super()._add_comment(body, repo, n)

    def _edit_issue(self, body, repo, n):
        if "body" in body and self.body_edits_before_failure is not None:
            if self.body_edits_before_failure == 0:
                self.body_edits_before_failure = None
                return 502, {"message": "Server Error"}
            self.body_edits_before_failure -= 1
        return super()._edit_issue(body, repo, n)


@pytest.fixture
def github(fake_api):
    fake = FlakyGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    fake.add_issue(BACKLOG, 1, "Older backlog item")
    return fake


def say(client, github, number, text, who="alice"):
    post_github(client, "issue_comment", github.comment_event(REPO, number, who, text))


def declare(client, redis_conn, github):
    say(client, github, 1, "/incident db is down")
    run_worker(redis_conn)


def replies(github, number):
    return [c for c in github.bot_comments(REPO, number) if c.startswith(BOT_MARKER)]


def timeline(github, number=2):
    return [e.text for e in parse_document(github.issues[(REPO, number)]["body"], get_profile(None)).timeline]


def test_incident_declared_once_when_the_reply_fails_and_is_retried(client, redis_conn, store, github):
    """issue 13 item 10: a 502 on the reply must not open a second incident issue."""
    github.fail_replies = 1
    declare(client, redis_conn, github)
    assert [n for (repo, n) in github.issues if repo == REPO] == [1, 2]
    [reply] = replies(github, 1)
    assert "declared incident #2" in reply
    assert [i.number for i in store.incidents(REPO)] == [2]


def test_incident_issue_recorded_right_after_creation(client, redis_conn, store, github):
    """issue 13 item 10: a fault after the issue was created (its summary answers 502) opens no second one."""
    github.fail_summaries = 1
    declare(client, redis_conn, github)
    assert [n for (repo, n) in github.issues if repo == REPO] == [1, 2]
    assert len([c for c in github.bot_comments(REPO, 2) if c.startswith(SUMMARY_MARKER)]) == 1
    [reply] = replies(github, 1)
    assert "declared incident #2" in reply


def test_follow_up_action_opened_once_when_the_reply_fails(client, redis_conn, store, github):
    """issue 13 item 10: `/action … in team/backlog` opens one follow-up and adds one item across retries."""
    declare(client, redis_conn, github)
    github.fail_replies = 1
    say(client, github, 2, "/action add alert on queue depth @alice in team/backlog")
    run_worker(redis_conn)
    assert sorted(n for (repo, n) in github.issues if repo == BACKLOG) == [1, 2]
    actions = parse_document(github.issues[(REPO, 2)]["body"], get_profile(None)).actions
    assert [a.linked_issue for a in actions] == ["team/backlog#2"]
    [reply] = replies(github, 2)
    assert "follow-up issue team/backlog#2" in reply


def test_timeline_and_status_written_once_when_the_reply_fails(client, redis_conn, store, github):
    """issue 13 item 10: `/timeline` and `/status` write their entry once, and one reply is posted."""
    declare(client, redis_conn, github)
    github.fail_replies = 2  # two attempts fail; the third posts the reply
    say(client, github, 2, "/timeline 09:05 rollback started\n/status identified bad deploy")
    run_worker(redis_conn)
    entries = timeline(github)
    assert entries.count("rollback started") == 1
    assert entries.count("Status: identified - bad deploy") == 1
    [reply] = replies(github, 2)
    assert reply.count("✅") == 2
    assert store.get_incident("github", REPO, 2).status is Status.IDENTIFIED


def test_a_redelivered_comment_changes_nothing_and_is_not_answered_again(client, redis_conn, store, github):
    """issue 13 item 10: the same comment delivered again (new delivery id) is recorded as done."""
    declare(client, redis_conn, github)
    payload = github.comment_event(REPO, 2, "alice", "/timeline 09:05 rollback started")
    post_github(client, "issue_comment", payload)
    run_worker(redis_conn)
    post_github(client, "issue_comment", payload)
    run_worker(redis_conn)
    assert timeline(github).count("rollback started") == 1
    assert len(replies(github, 2)) == 1


def test_retried_older_status_does_not_override_a_newer_one(client, redis_conn, store, github):
    """issue 13 item 11: `/status identified` retried after a 502 lands after `/status resolved`."""
    declare(client, redis_conn, github)
    github.fail_replies = 1
    say(client, github, 2, "/status identified bad deploy")
    say(client, github, 2, "/status resolved fixed")
    run_worker(redis_conn)  # identified, its reply fails; resolved; then identified's retry
    assert store.get_incident("github", REPO, 2).status is Status.RESOLVED
    assert "status: resolved" in github.issues[(REPO, 2)]["labels"]


def older_and_newer(github, older_text, newer_text):
    """Two comments on the incident, the second written a few minutes after the first."""
    now = datetime.now(UTC).replace(microsecond=0)
    older = github.comment_event(REPO, 2, "alice", older_text)
    newer = github.comment_event(REPO, 2, "alice", newer_text)
    older["comment"]["created_at"] = (now - timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    newer["comment"]["created_at"] = (now - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    return older, newer


def test_newer_comment_delivered_first_wins(client, redis_conn, store, github):
    """issue 13 item 11: delivered newer first, the older `/status` and `/severity` do not override it."""
    declare(client, redis_conn, github)
    older, newer = older_and_newer(github, "/status identified bad deploy\n/severity major-outage",
                                   "/status resolved fixed\n/severity partial-outage")
    post_github(client, "issue_comment", newer)
    run_worker(redis_conn)
    post_github(client, "issue_comment", older)
    run_worker(redis_conn)

    incident = store.get_incident("github", REPO, 2)
    assert incident.status is Status.RESOLVED and incident.severity.value == "partial-outage"
    labels = github.issues[(REPO, 2)]["labels"]
    assert "status: resolved" in labels and "status: identified" not in labels
    assert "severity: partial-outage" in labels and "severity: major-outage" not in labels
    reply = replies(github, 2)[-1]
    assert reply.count("⏭️") == 2 and "✅" not in reply
    assert newer["comment"]["html_url"] in reply  # names the comment that superseded it
    # What the older comment said stays in the history, at its own time: before the resolution.
    entries = timeline(github)
    assert entries.index("Status: identified - bad deploy") < entries.index("Status: resolved - fixed")


def test_gitlab_newer_note_delivered_first_wins(client, redis_conn, store, fake_api):
    """issue 13 item 11 on GitLab: notes are ordered by their own time and id too."""
    gitlab = FakeGitLab(fake_api, access={"alice": 30})
    gitlab.add_issue(PROJECT, 1, "Checkout broken", "")
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident checkout down"))
    run_worker(redis_conn)
    older = gitlab.note_event(PROJECT, 2, "alice", "/desk status identified bad deploy")
    newer = gitlab.note_event(PROJECT, 2, "alice", "/desk status monitoring rolled back")
    older["object_attributes"]["created_at"] = "2026-11-20 14:05:00 UTC"
    newer["object_attributes"]["created_at"] = "2026-11-20 14:05:00 UTC"  # same second: the id decides
    post_gitlab(client, "Note Hook", newer)
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", older)
    run_worker(redis_conn)
    assert store.get_incident("gitlab", PROJECT, 2).status is Status.MONITORING
    assert "⏭️" in gitlab.bot_notes(PROJECT, 2)[-1]


def test_two_hundred_timeline_lines_in_one_body_edit(client, redis_conn, store, github):
    """issue 13 item 6: 200 `/timeline` lines are written in one body edit, with one reply."""
    declare(client, redis_conn, github)
    lines = [f"/timeline 08:{n % 60:02d} step {n}" for n in range(200)]
    edits_before = _body_edits(github)
    say(client, github, 2, "\n".join(lines))
    run_worker(redis_conn)
    assert sorted(e for e in timeline(github) if e.startswith("step ")) == sorted(f"step {n}" for n in range(200))
    assert _body_edits(github) - edits_before == 1
    [reply] = replies(github, 2)
    assert reply.count("✅") == 200


def test_a_long_comment_resumes_where_it_stopped(client, redis_conn, store, github):
    """issue 13 items 6 and 10: a fault after the first batch; the retry writes only the rest."""
    declare(client, redis_conn, github)
    first = [f"/timeline 07:{n:02d} first {n}" for n in range(50)]
    second = [f"/timeline 08:{n:02d} second {n}" for n in range(50)]
    github.body_edits_before_failure = 1  # the first batch is written; the second batch's edit answers 502
    say(client, github, 2, "\n".join([*first, "/severity major-outage", *second]))
    run_worker(redis_conn)
    entries = timeline(github)
    assert len([e for e in entries if e.startswith(("first ", "second "))]) == 100
    assert len(set(entries)) == len(entries)
    [reply] = replies(github, 2)
    assert reply.count("✅") == 101


def _body_edits(github) -> int:
    return sum(1 for call in github.api.calls if call.request.method == "PATCH"
               and call.request.url.split("?")[0].endswith(f"/repos/{REPO}/issues/2")
               and "body" in request_json(call))
