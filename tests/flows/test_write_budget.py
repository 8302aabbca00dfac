"""The write budget (issue 15 item 1): a token bucket per installation or token, shared through Redis.

The waits asserted are the ones the bucket computes, never wall time."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from forges import build_forge
from forges.errors import TransientForgeError
from incidents.document import parse_document
from incidents.model import Severity, Status
from incidents.profiles import get_profile
from incidents.summary import BOT_MARKER
from tests.fakes.github import FakeGitHub
from tests.support import GITHUB_REST, GITLAB_URL, post_github, run_worker

REPO = "Codertocat/Hello-World"
SLOW = 10.0  # seconds per write: an interval long enough that no test's own time shows in the waits


@pytest.fixture
def app_settings(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return replace(settings, github_app_id="12345", github_private_key=pem, github_token=None,
                   github_write_interval=SLOW, github_write_burst=3)


def test_a_burst_within_the_capacity_does_not_wait_and_the_next_write_waits_one_interval(app_settings, redis_conn):
    budget = build_forge("github", app_settings, installation_id=777).budget
    assert [budget.take().wait for _ in range(3)] == [0, 0, 0]
    wait = budget.take().wait
    assert SLOW - 1 < wait <= SLOW


def test_forge_objects_of_one_installation_share_its_budget_and_others_have_their_own(app_settings, redis_conn):
    first, second = (build_forge("github", app_settings, installation_id=777) for _ in range(2))
    assert [first.budget.take().wait, second.budget.take().wait, first.budget.take().wait] == [0, 0, 0]
    assert second.budget.take().wait > SLOW - 1
    assert build_forge("github", app_settings, installation_id=778).budget.take().wait == 0
    token = replace(app_settings, github_app_id=None, github_token="ghp_other")
    assert build_forge("github", token).budget.take().wait == 0  # a token's budget is its own


def test_writes_spend_the_budget(settings, redis_conn, api):
    forge = build_forge("github", replace(settings, github_write_interval=SLOW, github_write_burst=2))
    api.post(f"{GITHUB_REST}/repos/o/r/issues/1/labels", json=[])
    api.post(f"{GITHUB_REST}/repos/o/r/issues/1/comments", status=201,
             json={"id": 5, "body": "hi", "user": {"login": "bot"}})
    forge.add_labels("o/r", 1, ["a"])
    forge.create_comment("o/r", 1, "hi")
    assert forge.budget.take().wait > SLOW - 1


def test_a_secondary_rate_limit_holds_every_write_until_retry_after(settings, redis_conn, api):
    api.post(f"{GITHUB_REST}/repos/o/r/issues/1/comments", status=403,
             json={"message": "You have exceeded a secondary rate limit"}, headers={"Retry-After": "60"})
    with pytest.raises(TransientForgeError):
        build_forge("github", settings).create_comment("o/r", 1, "hello")

    other = build_forge("github", settings)  # another job writing as the same token
    answer = other.budget.take()
    assert answer.held and 59 < answer.wait <= 60
    with pytest.raises(TransientForgeError) as refused:  # and no request is sent: `api` fails on one
        other.add_labels("o/r", 1, ["a"])
    assert 59 < refused.value.retry_after <= 60


def test_a_gitlab_429_holds_the_token_s_budget(settings, redis_conn, api):
    api.post(f"{GITLAB_URL}/api/v4/projects/group%2Fproject/issues/1/notes", status=429,
             json={"message": "429 Too Many Requests"}, headers={"Retry-After": "30"})
    with pytest.raises(TransientForgeError):
        build_forge("gitlab", settings).create_comment("group/project", 1, "hello")
    answer = build_forge("gitlab", settings).budget.take()
    assert answer.held and 29 < answer.wait <= 30


def test_a_not_found_answer_does_not_hold_the_budget(settings, redis_conn, api):
    api.delete(f"{GITHUB_REST}/repos/o/r/issues/1/labels/gone", status=404, json={"message": "Not Found"})
    forge = build_forge("github", settings)
    forge.remove_label("o/r", 1, "gone")  # already gone is what we wanted
    assert forge.budget.take().wait == 0


class RateLimitedGitHub(FakeGitHub):
    """GitHub whose next reply comments answer a secondary rate limit (403, Retry-After: 1); the time of every
    write is kept."""

    limited_replies = 0

    def _wrap(self, pattern, handler):
        callback = super()._wrap(pattern, handler)

        def timed(request):
            status, headers, body = callback(request)
            if request.method != "GET":
                self.writes.append((time.monotonic(), status))
            return status, {**headers, "Retry-After": "1"} if status == 403 else headers, body
        return timed

    def _add_comment(self, body, repo, n):
        if self.limited_replies and body["body"].startswith(BOT_MARKER):
            self.limited_replies -= 1
            return 403, {"message": "You have exceeded a secondary rate limit"}
        return super()._add_comment(body, repo, n)


def test_under_a_secondary_rate_limit_the_bot_waits_and_loses_nothing(client, redis_conn, store, fake_api):
    """issue 15: the reply answered 403 with Retry-After; no write goes before it is over, and the retried
    delivery posts the one reply without running a command twice."""
    github = RateLimitedGitHub(fake_api, permissions={"alice": "write"})
    github.writes = []
    github.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    github.limited_replies = 1
    post_github(client, "issue_comment",
                github.comment_event(REPO, 2, "alice", "/timeline 09:05 rollback started\n/status identified x"))
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/severity major-outage"))
    run_worker(redis_conn)  # the second delivery comes during the hold: it waits too
    [(refused_at, _)] = [(at, status) for at, status in github.writes if status == 403]
    time.sleep(1.2)  # the retry is due after Retry-After
    run_worker(redis_conn)

    assert all(at - refused_at > 0.9 for at, status in github.writes if at > refused_at)
    replies = [c for c in github.bot_comments(REPO, 2) if c.startswith(BOT_MARKER)]
    assert sorted(reply.count("✅") for reply in replies) == [1, 2]  # one reply to each comment
    assert any("severity is now" in reply for reply in replies)
    entries = [e.text for e in parse_document(github.issues[(REPO, 2)]["body"], get_profile(None)).timeline]
    assert entries.count("rollback started") == entries.count("Status: identified - x") == 1
    incident = store.get_incident("github", REPO, 2)
    assert incident.status is Status.IDENTIFIED and incident.severity is Severity.MAJOR_OUTAGE
