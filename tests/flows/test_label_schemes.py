"""Each repository's label names, end to end: work that starts in one repository and changes an incident
in another labels the incident with its own repository's names (issue 14 item 7)."""
from __future__ import annotations

import pytest

from incidents.action_edits import add_action_item
from incidents.document import parse_document
from incidents.model import Status
from incidents.profiles import get_profile
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO, API, BACKLOG = "Codertocat/Hello-World", "team/api", "team/backlog"
CONFIG = ".github/incident-desk.yml"


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write"})
    fake.files[(REPO, CONFIG)] = 'labels:\n  status_prefix: "state/"\n'
    fake.files[(BACKLOG, CONFIG)] = 'labels:\n  status_prefix: "todo/"\n'  # the follow-ups' own names
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    fake.add_issue(API, 1, "Slow responses")
    fake.add_issue(BACKLOG, 1, "Older backlog item")
    return fake


def declare(client, redis_conn, github, repository: str) -> int:
    post_github(client, "issue_comment", github.comment_event(repository, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    return 2


def test_a_follow_up_closing_in_backlog_relabels_each_incident_with_its_own_repositorys_names(
        client, redis_conn, store, github):
    """One follow-up in team/backlog (labels `todo/`) is an action item of two incidents: one in a repository
    configured with `state/`, one in a repository with the default names. Closing it ticks both, and each
    incident keeps its own repository's status labels: none gets `status: investigating` beside `state/…`,
    and no incident gets the backlog's `todo/…`."""
    declare(client, redis_conn, github, REPO)
    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "alice", "/action add alert on queue depth @alice in team/backlog"))
    run_worker(redis_conn)
    declare(client, redis_conn, github, API)
    issue = github.issues[(API, 2)]
    issue["body"] = add_action_item(issue["body"], get_profile(None), "add alert on queue depth", "alice",
                                    None, f"{BACKLOG}#2")
    post_github(client, "issues", github.issues_event(API, 2, "edited", "alice"))
    run_worker(redis_conn)
    assert "state/investigating" in github.issues[(REPO, 2)]["labels"]
    assert "status: investigating" in github.issues[(API, 2)]["labels"]

    github.issues[(BACKLOG, 2)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(BACKLOG, 2, "closed", "alice"))
    run_worker(redis_conn)

    for repository in (REPO, API):
        [action] = parse_document(github.issues[(repository, 2)]["body"], get_profile(None)).actions
        assert action.done, repository  # the close reached both incidents
        assert store.get_incident("github", repository, 2).status is Status.INVESTIGATING
    labels = github.issues[(REPO, 2)]["labels"]
    assert "state/investigating" in labels and not any(label.startswith(("status: ", "todo/")) for label in labels)
    labels = github.issues[(API, 2)]["labels"]
    assert "status: investigating" in labels and not any(label.startswith(("state/", "todo/")) for label in labels)


def test_a_merge_in_another_repository_relabels_each_linked_incident_with_its_own_names(
        client, redis_conn, store, github):
    """A pull request in team/backlog fixes two incidents in repositories with different label names."""
    declare(client, redis_conn, github, REPO)
    declare(client, redis_conn, github, API)
    github.add_pull(BACKLOG, 7, "Revert pool tuning", body=f"Fixes incident {REPO}#2 and {API}#2",
                    merged_at="2026-11-20T14:40:00Z")
    post_github(client, "pull_request", github.pull_request_event(BACKLOG, 7, "closed"))
    run_worker(redis_conn)
    for repository in (REPO, API):
        assert f"Fix merged: {BACKLOG}#7" in github.issues[(repository, 2)]["body"]
    labels = github.issues[(REPO, 2)]["labels"]
    assert "state/investigating" in labels and not any(label.startswith(("status: ", "todo/")) for label in labels)
    labels = github.issues[(API, 2)]["labels"]
    assert "status: investigating" in labels and not any(label.startswith(("state/", "todo/")) for label in labels)
