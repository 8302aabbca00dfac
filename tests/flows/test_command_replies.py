"""Issue 13 item 7: the reply to a comment's commands always fits in one forge comment."""
from __future__ import annotations

import re

import pytest

from incidents.command_table import COMMANDS
from incidents.summary import BOT_MARKER
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"
GITHUB_LIMIT = 65_536


class StrictGitHub(FakeGitHub):
    """GitHub refusing a comment body over 65,536 characters with 422, as the real API does."""

    def _add_comment(self, body, repo, n):
        if len(body["body"]) > GITHUB_LIMIT:
            return 422, {"message": "Validation Failed", "errors": [{
                "resource": "IssueComment", "code": "custom", "field": "body",
                "message": "body is too long (maximum is 65536 characters)"}],
                "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment"}
        return super()._add_comment(body, repo, n)


@pytest.fixture
def github(fake_api):
    fake = StrictGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


def reply_to(client, redis_conn, github, text):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", text))
    run_worker(redis_conn)
    [reply] = [c for c in github.bot_comments(REPO, 1) if c.startswith(BOT_MARKER)]
    assert len(reply) <= GITHUB_LIMIT
    return reply


def test_seven_hundred_unknown_commands_get_one_reply_cut_with_a_count(client, redis_conn, github):
    """issue 13 item 7: 700 unknown commands once got a 422 and no reply at all."""
    reply = reply_to(client, redis_conn, github, "\n".join(f"/desk frobnicate{n}" for n in range(700)))
    shown = reply.count("- ❓")
    left = int(re.search(r"… and (\d+) more not shown here \(❓ (\d+)\)", reply).group(1))
    assert 0 < shown < 700 and shown + left == 700
    assert "`/desk frobnicate0`" in reply and "`/desk frobnicate699`" not in reply  # the first ones, in order


def test_help_forty_times_is_shown_once(client, redis_conn, github):
    """issue 13 item 7: `/help` 40 times is one list of the commands, with the count."""
    reply = reply_to(client, redis_conn, github, "\n".join(["/help"] * 40 + ["/desk help"]))
    assert reply.count("`/status") == 1 and "`/help` ×40" in reply
    assert "`/desk help`: the same as above." in reply
    assert all(f"`/{name}" in reply for name in COMMANDS)


def test_identical_errors_are_summarised(client, redis_conn, github):
    """issue 13 item 7: the same mistake on many lines is one line with its count."""
    reply = reply_to(client, redis_conn, github, "\n".join(["/status exploded"] * 500 + ["/desk nosuch"]))
    assert reply.count("❓") == 2 and "`/status exploded` ×500" in reply and "not shown" not in reply
