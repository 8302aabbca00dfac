"""Real payloads of both forges become the same small set of events."""
from __future__ import annotations

from datetime import UTC

import pytest

from forges.events import COMMENT, ISSUE, MERGE_REQUEST, CommentEvent, IssueEvent, MergeRequestEvent
from forges.normalize import IGNORED_EVENTS, PayloadError, is_handled, normalize
from tests.support import load_fixture

GITLAB_EVENTS = {"issue": "Issue Hook", "note": "Note Hook", "merge_request": "Merge Request Hook"}


def events(platform, name):
    event_name = name.split("__")[0]
    event_name = GITLAB_EVENTS.get(event_name, event_name) if platform == "gitlab" else event_name
    return normalize(platform, event_name, load_fixture(platform, name), delivery_id="d")


@pytest.mark.parametrize("name, kind, action, number", [
    ("issues__opened", ISSUE, "opened", 1),
    ("issues__edited", ISSUE, "edited", 1),
    ("issues__labeled", ISSUE, "labeled", 1),
    ("issues__unlabeled", ISSUE, "unlabeled", 1),
    ("issues__closed", ISSUE, "closed", 1),
    ("issues__reopened", ISSUE, "reopened", 1),
    ("issues__assigned", ISSUE, "assigned", 1),
    ("issue_comment__created", COMMENT, "created", 1),
    ("issue_comment__edited", COMMENT, "edited", 1),
    ("pull_request__opened", MERGE_REQUEST, "opened", 2),
    ("pull_request__closed", MERGE_REQUEST, "closed", 2),
    ("pull_request__closed_merged", MERGE_REQUEST, "merged", 2),
    ("pull_request__synchronize", MERGE_REQUEST, "edited", 2),
])
def test_github_payloads(name, kind, action, number):
    [event] = events("github", name)
    assert (event.kind, event.action, event.number) == (kind, action, number)
    assert event.platform == "github" and event.repository == "Codertocat/Hello-World"
    assert event.actor.login == "Codertocat" and not event.actor.is_bot
    assert event.delivery_id == "d"
    assert event.created_at.tzinfo is not None and event.created_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("name, kind, action, number, repository", [
    ("issue__open", ISSUE, "opened", 23, "gitlabhq/gitlab-test"),
    ("issue__close", ISSUE, "closed", 23, "gitlabhq/gitlab-test"),
    ("note__issue", COMMENT, "created", 17, "gitlab-org/gitlab-test"),
    ("note__merge_request", COMMENT, "created", 1, "gitlab-org/gitlab-test"),
    ("merge_request__open", MERGE_REQUEST, "opened", 1, "gitlabhq/gitlab-test"),
    ("merge_request__merge", MERGE_REQUEST, "merged", 1, "gitlabhq/gitlab-test"),
])
def test_gitlab_payloads(name, kind, action, number, repository):
    [event] = events("gitlab", name)
    assert (event.kind, event.action, event.number, event.repository) == (kind, action, number, repository)
    assert event.platform == "gitlab"
    assert event.created_at.tzinfo is UTC


def test_issue_fields():
    [event] = events("github", "issues__labeled")
    assert isinstance(event, IssueEvent)
    assert event.labels == ("bug",) and event.labels_added == ("bug",)
    assert event.title == "Spelling error in the README file"
    assert event.url == "https://github.com/Codertocat/Hello-World/issues/1"


def test_comment_on_a_pull_request_is_marked_as_such():
    payload = load_fixture("github", "issue_comment__created")
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    [event] = normalize("github", "issue_comment", payload)
    assert isinstance(event, CommentEvent) and event.on_merge_request
    assert event.comment.startswith("You are totally right!")


def test_merged_pull_request_carries_merge_time_and_head():
    [event] = events("github", "pull_request__closed_merged")
    assert isinstance(event, MergeRequestEvent) and event.merged and event.state == "merged"
    assert event.merged_at.isoformat() == "2019-05-15T15:21:18+00:00"
    assert event.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def test_bot_sender_is_recognised():
    payload = load_fixture("github", "issue_comment__created")
    payload["sender"].update(login="renovate[bot]", type="Bot")
    [event] = normalize("github", "issue_comment", payload)
    assert event.actor.is_bot


def test_app_installation_id_is_kept():
    payload = load_fixture("github", "issues__opened")
    payload["installation"] = {"id": 42, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}
    [event] = normalize("github", "issues", payload)
    assert event.installation_id == 42


def test_gitlab_older_date_spelling_parses_as_utc():
    payload = load_fixture("gitlab", "issue__open")
    payload["object_attributes"]["created_at"] = "2015-05-17 17:06:40 UTC"
    [event] = normalize("gitlab", "Issue Hook", payload)
    assert event.created_at.isoformat() == "2015-05-17T17:06:40+00:00"


def test_gitlab_incident_type_both_spellings():
    for key, value in (("type", "Incident"), ("issue_type", "incident")):
        payload = load_fixture("gitlab", "issue__open")
        payload["object_attributes"][key] = value
        [event] = normalize("gitlab", "Issue Hook", payload)
        assert event.is_incident_type


def test_gitlab_update_that_changes_labels_becomes_label_events():
    produced = events("gitlab", "issue__update")
    assert [e.action for e in produced] == ["labeled", "unlabeled"]
    assert produced[0].labels_added == ("Platform",) and produced[0].labels_removed == ("API",)


def test_gitlab_update_that_changes_the_description_is_an_edit():
    payload = load_fixture("gitlab", "issue__update")
    del payload["changes"]["labels"]
    payload["changes"]["description"] = {"previous": "a", "current": "b"}
    [event] = normalize("gitlab", "Issue Hook", payload)
    assert event.action == "edited"


def test_gitlab_system_notes_are_not_comments():
    payload = load_fixture("gitlab", "note__issue")
    payload["object_attributes"]["system"] = True
    assert normalize("gitlab", "Note Hook", payload) == []


def test_gitlab_project_bot_user_is_a_bot():
    payload = load_fixture("gitlab", "note__issue")
    payload["user"]["username"] = "project_278964_bot_7ac1f3e2"
    [event] = normalize("gitlab", "Note Hook", payload)
    assert event.actor.is_bot


def test_unknown_events_normalize_to_nothing_and_are_not_handled():
    assert normalize("github", "star", {"action": "created"}) == []
    assert not is_handled("github", "star") and not is_handled("gitlab", "Pipeline Hook")
    assert ("github", "ping") in IGNORED_EVENTS


@pytest.mark.parametrize("payload", [{}, {"action": "opened"}, {"action": "opened", "issue": "nope"},
                                     {"action": 1, "repository": {}, "sender": {}, "issue": {}}])
def test_payload_of_the_wrong_shape_raises_a_clear_error(payload):
    with pytest.raises(PayloadError, match="github issues"):
        normalize("github", "issues", payload)


def test_unicode_and_huge_bodies_survive():
    payload = load_fixture("github", "issues__opened")
    payload["issue"]["title"] = "数据库 down 🔥 \u202e"
    payload["issue"]["body"] = "x" * 2_000_000
    [event] = normalize("github", "issues", payload)
    assert event.title.startswith("数据库") and len(event.body) == 2_000_000
