"""NUL characters in what people write reach the store as U+FFFD: PostgreSQL refuses NUL in text, and a refused
write retried forever would lose the event (the first session's note; seen again in every note since)."""
from __future__ import annotations

from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"


def test_an_incident_whose_title_and_commands_hold_nul_is_tracked(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api, permissions={"alice": "write"})
    github.add_issue(REPO, 1, "db\x00 down", "The API\x00 answers 500.", labels=["incident"], author="alice")
    post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice"))
    run_worker(redis_conn)
    incident = store.get_incident("github", REPO, 1)
    assert incident is not None and incident.title == "db\ufffd down"

    post_github(client, "issue_comment", github.comment_event(
        REPO, 1, "alice", "/status identified the cache\x00 is cold\n/taxonomy cache\x00 < config\n"
                          "/action add a cache\x00 alert @alice"))
    run_worker(redis_conn)
    incident = store.get_incident("github", REPO, 1)
    assert incident.status.value == "identified" and incident.open_actions == 1
    reply = github.bot_comments(REPO, 1)[-1]  # each line answered; the odd term refused, as any odd term is
    assert "status is now **identified**" in reply and "action item added" in reply
    assert "is not a taxonomy term" in reply and incident.taxonomy is None
