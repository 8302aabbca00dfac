"""Issue 15 item 2: read once, write once. What a comment on an existing incident costs in API calls,
counted from the requests the faked forge received for its one delivery."""
from __future__ import annotations

import pytest

from forges import base
from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import BOT_LOGIN, GITHUB_REST, GITLAB_URL, post_github, post_gitlab, request_json, run_worker

REPO = "Codertocat/Hello-World"
ISSUE = f"/repos/{REPO}/issues/2"


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "bob": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


@pytest.fixture
def incident(client, redis_conn, github):
    """Incident #2, declared from issue #1, with its summary comment (and the repository's members read once)."""
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    return 2


def calls_for(client, redis_conn, github, text, number=2):
    """The requests one comment's delivery made, as (method, path)."""
    github.api.calls.reset()
    post_github(client, "issue_comment", github.comment_event(REPO, number, "alice", text))
    run_worker(redis_conn)
    return [(c.request.method, c.request.url.split("?")[0].removeprefix(GITHUB_REST)) for c in github.api.calls]


def summary_id(github, number=2):
    [comment] = [c for c in github.comments[(REPO, number)] if c["body"].startswith(SUMMARY_MARKER)]
    return comment["id"]


def issue_edits(github) -> list[dict]:
    """The bodies of the PATCH requests to the incident issue."""
    return [request_json(c) for c in github.api.calls
            if c.request.method == "PATCH" and c.request.url.split("?")[0].endswith(ISSUE)]


def test_status_with_a_change_of_status(client, redis_conn, github, incident):
    """Was 11 calls (5 writes): /user, 4 reads of the issue, a label removed and one added, the comments listed."""
    assert calls_for(client, redis_conn, github, "/status identified the cache") == [
        ("GET", ISSUE),  # the one read of the issue, just before its one write
        ("PATCH", ISSUE),  # the status label swapped and the timeline entry, together
        ("POST", f"{ISSUE}/comments"),  # the reply
        ("PATCH", f"/repos/{REPO}/issues/comments/{summary_id(github)}"),  # the summary, by its stored id
    ]
    [edit] = issue_edits(github)
    assert edit["labels"] == ["incident", "postmortem: incomplete", "status: identified"]
    assert "Status: identified - the cache" in edit["body"]
    assert github.issues[(REPO, 2)]["labels"] == ["incident", "postmortem: incomplete", "status: identified"]


def test_status_keeping_the_status(client, redis_conn, github, incident):
    assert calls_for(client, redis_conn, github, "/status investigating rolling back") == [
        ("GET", ISSUE), ("PATCH", ISSUE), ("POST", f"{ISSUE}/comments")]  # summary unchanged
    [edit] = issue_edits(github)
    assert "labels" not in edit  # the labels did not change, so they are not sent


def test_severity(client, redis_conn, github, incident):
    """Was 7 calls."""
    assert calls_for(client, redis_conn, github, "/severity partial-outage") == [
        ("GET", ISSUE), ("PATCH", ISSUE), ("POST", f"{ISSUE}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/comments/{summary_id(github)}")]
    [edit] = issue_edits(github)
    assert list(edit) == ["labels"] and set(edit["labels"]) == {
        "incident", "postmortem: incomplete", "status: investigating", "severity: partial-outage"}


def test_commander(client, redis_conn, github, incident):
    """Was 10 calls: the assignment and the timeline entry are now one write, beside the reply and the summary;
    bob's permission comes from the member list read for alice's declaration."""
    assert calls_for(client, redis_conn, github, "/commander @bob") == [
        ("GET", ISSUE), ("PATCH", ISSUE), ("POST", f"{ISSUE}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/comments/{summary_id(github)}")]
    [edit] = issue_edits(github)
    assert edit["assignees"] == ["alice", "bob"] and "Commander: @bob" in edit["body"]


def test_someone_the_member_list_leaves_out_is_asked_about_in_person(client, redis_conn, github, incident):
    """The list's first page (or a list read before they joined) does not know carol: her own permission is read."""
    github.permissions["carol"] = "write"
    github.unlisted.add("carol")
    calls = calls_for(client, redis_conn, github, "/ops-lead @carol")
    assert calls[0] == ("GET", f"/repos/{REPO}/collaborators/carol/permission")
    assert "Operations lead: @carol" in github.issues[(REPO, 2)]["body"]
    assert calls_for(client, redis_conn, github, "/commander @carol")[0] == ("GET", ISSUE)  # kept for 5 minutes


def test_naming_someone_without_access_is_refused(client, redis_conn, github, incident):
    calls = calls_for(client, redis_conn, github, "/commander @mallory")
    assert calls == [("GET", f"/repos/{REPO}/collaborators/mallory/permission"), ("POST", f"{ISSUE}/comments")]
    assert "@mallory is not a user with access to this repository" in github.comments[(REPO, 2)][-1]["body"]
    assert "mallory" not in github.issues[(REPO, 2)]["body"]


def test_five_commands_in_one_comment_cost_one_issue_write(client, redis_conn, github, incident):
    """Every line's change to the issue waits for one read and one write, before the one reply."""
    text = ("/severity major-outage\n/status monitoring A fix is deployed\n/timeline 14:20 Fix deployed\n"
            "/commander @alice\n/action Write the failover runbook @bob")
    assert calls_for(client, redis_conn, github, text) == [
        ("GET", ISSUE), ("PATCH", ISSUE), ("POST", f"{ISSUE}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/comments/{summary_id(github)}")]
    [edit] = issue_edits(github)
    assert {"severity: major-outage", "status: monitoring"} <= set(edit["labels"])
    for written in ("Status: monitoring - A fix is deployed", "Fix deployed", "Commander: @alice",
                    "Write the failover runbook"):
        assert written in edit["body"]
    reply = github.comments[(REPO, 2)][-1]["body"]
    assert reply.count("✅") == 5


@pytest.fixture
def identity_asked(monkeypatch, github):
    """No INCIDENT_DESK_BOT_LOGIN: the bot's login comes from GET /user, in a process that has not asked yet."""
    monkeypatch.delenv("INCIDENT_DESK_BOT_LOGIN")
    monkeypatch.setattr(base, "_IDENTITIES", {})
    github.api.get(f"{GITHUB_REST}/user", json={"login": BOT_LOGIN, "id": 9, "type": "User"})


def test_a_comment_without_a_command_costs_nothing(client, redis_conn, github, incident, identity_asked):
    """Was 1 call (GET /user, once per delivery): now asked once and kept in Redis for every process."""
    assert calls_for(client, redis_conn, github, "thanks, looking") == [("GET", "/user")]
    base._IDENTITIES.clear()  # another worker process: Redis knows the login
    assert calls_for(client, redis_conn, github, "still looking") == []
    assert calls_for(client, redis_conn, github, "and again") == []


def test_a_deleted_summary_comment_is_found_or_written_again(client, redis_conn, github, incident):
    """The stored id answers 404: the comments are listed, and the summary is written anew."""
    gone = summary_id(github)
    github.comments[(REPO, 2)] = [c for c in github.comments[(REPO, 2)] if c["id"] != gone]
    calls = calls_for(client, redis_conn, github, "/severity partial-outage")
    assert calls[-3:] == [("PATCH", f"/repos/{REPO}/issues/comments/{gone}"), ("GET", f"{ISSUE}/comments"),
                          ("POST", f"{ISSUE}/comments")]
    new = summary_id(github)
    assert new != gone and "Partial outage" in github.comments[(REPO, 2)][-1]["body"]
    assert calls_for(client, redis_conn, github, "/severity major-outage")[-1] == (
        "PATCH", f"/repos/{REPO}/issues/comments/{new}")  # the new id is the one kept


def test_a_person_s_label_is_kept_when_the_status_label_is_swapped(client, redis_conn, github, incident):
    github.issues[(REPO, 2)]["labels"].append("customer-facing")
    calls_for(client, redis_conn, github, "/status monitoring deployed the fix")
    assert github.issues[(REPO, 2)]["labels"] == ["incident", "postmortem: incomplete", "customer-facing",
                                                 "status: monitoring"]


def test_gitlab_status_swaps_its_scoped_label_in_the_one_issue_update(client, redis_conn, fake_api):
    project = "gitlabhq/gitlab-test"
    gitlab = FakeGitLab(fake_api, access={"alice": 30})
    gitlab.add_issue(project, 1, "Checkout broken", "")
    post_gitlab(client, "Note Hook", gitlab.note_event(project, 1, "alice", "/desk incident checkout down"))
    run_worker(redis_conn)
    fake_api.calls.reset()
    post_gitlab(client, "Note Hook", gitlab.note_event(project, 2, "alice", "/desk status identified bad deploy"))
    run_worker(redis_conn)
    issue = "/api/v4/projects/gitlabhq%2Fgitlab-test/issues/2"
    [summary] = [n["id"] for n in gitlab.notes[(project, 2)] if n["body"].startswith(SUMMARY_MARKER)]
    assert [(c.request.method, c.request.url.split("?")[0].removeprefix(GITLAB_URL)) for c in fake_api.calls] == [
        ("GET", issue), ("PUT", issue),  # the one read; labels and timeline entry in one update
        ("POST", f"{issue}/notes"), ("PUT", f"{issue}/notes/{summary}")]  # the reply; the summary by its id
    [update] = [request_json(c) for c in fake_api.calls if c.request.method == "PUT" and c.request.url.endswith("/2")]
    assert update["add_labels"] == "status::identified" and update["remove_labels"] == "status::investigating"
    assert "Status: identified - bad deploy" in update["description"]


def test_a_full_body_takes_the_lines_that_fit_and_says_which_did_not(client, redis_conn, github, incident):
    """Together too long for the body: a line at a time, so the entry that fits is written, the one that
    does not is given back in the reply, and its other change (the status label) still takes effect."""
    body = github.issues[(REPO, 2)]["body"]
    github.issues[(REPO, 2)]["body"] = body + "\n" + "x" * (65_536 - len(body) - 400)
    long_message = "y" * 500
    calls_for(client, redis_conn, github, f"/timeline 14:00 Paged the database team\n/status identified {long_message}")
    issue = github.issues[(REPO, 2)]
    assert "Paged the database team" in issue["body"] and long_message not in issue["body"]
    assert "status: identified" in issue["labels"] and "status: investigating" not in issue["labels"]
    [reply] = [c["body"] for c in github.comments[(REPO, 2)] if "Paged the database team" in c["body"]]
    assert "✅ `/timeline 14:00 Paged the database team`" in reply
    assert "⚠️ `/status identified" in reply and "the issue body is full" in reply and long_message in reply


def test_an_assignee_who_cannot_be_assigned_does_not_stop_the_edit(client, redis_conn, github, incident):
    """GitHub refuses a whole edit whose assignee list holds someone it cannot assign (422): the labels and
    the timeline entry go in again without the list, and the new commander by the call that adds assignees."""
    github.issues[(REPO, 2)]["assignees"].append("gone-user")
    github.unassignable.add("gone-user")
    calls = calls_for(client, redis_conn, github, "/commander @bob")
    assert calls[:4] == [("GET", ISSUE), ("PATCH", ISSUE), ("PATCH", ISSUE), ("POST", f"{ISSUE}/assignees")]
    issue = github.issues[(REPO, 2)]
    assert "Commander: @bob" in issue["body"] and "bob" in issue["assignees"]
    assert "✅ `/commander @bob`" in github.comments[(REPO, 2)][-1]["body"]
