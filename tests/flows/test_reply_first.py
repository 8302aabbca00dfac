"""Issue 15 item 1: the reply to a command comment is written as soon as its outcome is known, before the
incident is reconciled (labels, summary comment), and each step still happens once across retries."""
from __future__ import annotations

import pytest

from incidents.summary import BOT_MARKER, SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.support import post_github, request_json, run_worker

REPO = "Codertocat/Hello-World"


class FlakySummaries(FakeGitHub):
    """GitHub whose next summary comments answer 502."""

    fail_summaries = 0

    def _add_comment(self, body, repo, n):
        if self.fail_summaries and body["body"].startswith(SUMMARY_MARKER):
            self.fail_summaries -= 1
            return 502, {"message": "Server Error"}
        return super()._add_comment(body, repo, n)


@pytest.fixture
def github(fake_api):
    fake = FlakySummaries(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


def writes(fake_api) -> list[str]:
    """The writes sent, in order, as `METHOD path-end kind` (kind: reply or summary for comments)."""
    seen = []
    for call in fake_api.calls:
        if call.request.method == "GET":
            continue
        path = call.request.url.split("?")[0].split("/repos/")[-1]
        kind = ""
        if path.endswith("/comments") or "/comments/" in path:
            text = request_json(call).get("body", "")
            kind = " summary" if text.startswith(SUMMARY_MARKER) else " reply" if text.startswith(BOT_MARKER) else ""
        seen.append(f"{call.request.method} {path}{kind}")
    return seen


def test_the_reply_to_incident_comes_before_the_new_incident_is_put_in_shape(client, redis_conn, github, fake_api):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    sent = writes(fake_api)
    reply = sent.index(f"POST {REPO}/issues/1/comments reply")
    assert sent[:reply] == [f"POST {REPO}/issues"]  # only the new issue itself before the answer
    assert f"POST {REPO}/issues/2/comments summary" in sent[reply + 1:]


def test_the_reply_to_status_comes_before_the_summary_is_updated(client, redis_conn, github, fake_api):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    fake_api.calls.reset()
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/severity major-outage"))
    run_worker(redis_conn)
    sent = writes(fake_api)
    reply = sent.index(f"POST {REPO}/issues/2/comments reply")
    assert all("summary" not in write for write in sent[:reply])
    assert any("summary" in write for write in sent[reply + 1:])


def test_a_new_incident_is_put_in_shape_once_when_its_summary_fails_after_the_reply(client, redis_conn, store, github):
    github.fail_summaries = 1
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    [reply] = github.bot_comments(REPO, 1)  # the retry posts no second reply
    assert "declared incident #2" in reply
    assert len([c for c in github.bot_comments(REPO, 2) if c.startswith(SUMMARY_MARKER)]) == 1
    assert [i.number for i in store.incidents(REPO)] == [2]
