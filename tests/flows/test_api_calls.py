"""Issue 15 item 2: read once, write once. What each command on an existing incident costs in API calls,
counted from the requests the faked forge received for one delivery."""
from __future__ import annotations

import pytest

from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "bob": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


@pytest.fixture
def incident(client, redis_conn, github):
    """Incident #2, declared from issue #1, with its summary comment; the calls so far forgotten."""
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    github.api.calls.reset()
    return 2


def calls_for(client, redis_conn, github, number, text):
    """The requests one comment's delivery made, as (method, path)."""
    github.api.calls.reset()
    post_github(client, "issue_comment", github.comment_event(REPO, number, "alice", text))
    run_worker(redis_conn)
    return [(c.request.method, c.request.url.split("?")[0].split(":443")[-1]) for c in github.api.calls]


def writes(calls):
    return [c for c in calls if c[0] in WRITES]


@pytest.mark.parametrize("text", ["/status investigating rolling back", "/status identified the cache",
                                  "/severity partial-outage", "/commander @bob", "thanks, looking"])
@pytest.mark.parametrize("login", ["set", "asked"])
def test_measure(client, redis_conn, github, incident, text, login, monkeypatch):
    if login == "asked":
        monkeypatch.delenv("INCIDENT_DESK_BOT_LOGIN")
        github.api.get("https://api.github.com:443/user", json={"login": "incident-desk-bot", "id": 9, "type": "User"})
    calls = calls_for(client, redis_conn, github, incident, text)
    print(f"\n{text!r}: {len(calls)} calls, {len(writes(calls))} writes")
    for c in calls:
        print("   ", *c)
