"""The incident board end to end (issue 19, item 6): incidents declared in two repositories of one account are
listed on one "Incident board" issue, rewritten in place, untouched when nothing changed, and printed by `list`."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from rq.registry import ScheduledJobRegistry

from incident_desk.cli import cli
from incidents.board import BOARD_MARKER, BOARD_TITLE
from incidents.model import Incident, Status
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import post_github, post_gitlab, run_worker
from worker.board import update_board
from worker.deferred import board_job_id, refresh_board
from worker.queue import DELIVERIES

REPO, OTHER, BOARD = "Codertocat/Hello-World", "Codertocat/api", "Codertocat/ops"
DUE = "## Action items\n\n- [ ] Add a replica @bob due 2026-01-05\n- [ ] Write the runbook due 2999-01-01\n"


@pytest.fixture
def github(fake_api, settings, monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_BOARD_REPOSITORIES", f"github:{BOARD}, gitlab:acme/ops")
    fake = FakeGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Checkout errors", labels=["incident"])
    fake.add_issue(REPO, 2, "Slow search", DUE, labels=["incident"])
    fake.add_issue(OTHER, 7, "API timeouts", labels=["incident"])
    return fake


def declare_all(client, redis_conn, github):
    for repo, number in ((REPO, 1), (REPO, 2), (OTHER, 7)):
        post_github(client, "issues", github.issues_event(repo, number, "opened", "alice"))
    run_worker(redis_conn)


def board_writes(fake_api):
    return [c.request for c in fake_api.calls if f"/repos/{BOARD}/issues" in c.request.url
            and c.request.method in ("POST", "PATCH")]


def test_three_incidents_of_two_repositories_on_one_board_kept_in_place(client, redis_conn, store, github, fake_api):
    declare_all(client, redis_conn, github)
    scheduled = ScheduledJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
    assert scheduled.count(board_job_id("github", "codertocat")) == 1  # three changes, one waiting update

    assert update_board("github", "codertocat") == "written"
    [(repo, number)] = [key for key in github.issues if key[0] == BOARD]
    board = github.issues[(repo, number)]
    assert board["title"] == BOARD_TITLE and board["body"].startswith(BOARD_MARKER)
    open_rows = [line for line in board["body"].splitlines() if line.startswith("| [")]
    assert [row.split("]")[0] for row in open_rows] == ["| [Codertocat/Hello-World#1", "| [Codertocat/Hello-World#2",
                                                         "| [Codertocat/api#7"]
    assert all("| investigating |" in row for row in open_rows)
    [overdue] = [line for line in board["body"].splitlines() if "Add a replica" in line]
    assert overdue.startswith("- [Codertocat/Hello-World#2](") and overdue.endswith("(`bob`) — due 2026-01-05")
    assert "runbook" not in board["body"]  # not due yet
    assert len(board_writes(fake_api)) == 1

    assert update_board("github", "codertocat") == "unchanged"  # nothing changed: no write at all
    assert len(board_writes(fake_api)) == 1

    post_github(client, "issue_comment", github.comment_event(OTHER, 7, "alice", "/status identified a bad pool"))
    run_worker(redis_conn)
    assert update_board("github", "codertocat") == "written"
    writes = board_writes(fake_api)
    assert len(writes) == 2 and writes[1].method == "PATCH" and writes[1].url.endswith(f"/issues/{number}")
    assert [key for key in github.issues if key[0] == BOARD] == [(repo, number)]  # the same issue, edited
    assert "| identified |" in github.issues[(repo, number)]["body"]
    assert store.board_issue("github", "codertocat").number == number

    github.issues[(REPO, 1)]["state"] = "closed"  # closed with nothing open: over, and off the open list
    post_github(client, "issues", github.issues_event(REPO, 1, "closed", "alice"))
    run_worker(redis_conn)
    assert update_board("github", "codertocat") == "written"
    body = github.issues[(repo, number)]["body"]
    assert "## Open incidents (2)" in body and "## Resolved in the last 30 days (1)" in body
    assert "| [Codertocat/Hello-World#1](https://github.com/Codertocat/Hello-World/issues/1) Checkout errors | " \
           in body.split("## Resolved")[1]


def test_an_update_waiting_takes_the_next_changes_and_other_owners_have_no_board(redis_conn, settings, github):
    incident = Incident("github", REPO, 1, "x")
    assert refresh_board(redis_conn, incident.platform, incident.repository, None) is True
    assert refresh_board(redis_conn, incident.platform, OTHER, None) is False  # the same board, waiting
    assert refresh_board(redis_conn, "github", "someone-else/api", None) is False  # no board configured
    assert update_board("github", "someone-else") == "no board"


def test_list_prints_the_board_from_the_store(settings, store):
    now = datetime.now(UTC)
    store.save_incident(Incident("github", REPO, 1, "Checkout errors", Status.IDENTIFIED, commander="alice",
                                 reported_at=now - timedelta(hours=5), last_update_at=now - timedelta(hours=3)))
    store.save_incident(Incident("gitlab", "acme/web", 3, "Login loop", Status.RESOLVED, reported_at=now - timedelta(
        days=3), resolved_at=now - timedelta(days=2), ttr_seconds=1800.0))
    store.save_incident(Incident("gitlab", "acme/web", 4, "Old one", Status.RESOLVED,
                                 resolved_at=now - timedelta(days=40)))
    result = CliRunner().invoke(cli, ["list", "--format", "json"], catch_exceptions=False)
    data = json.loads(result.output)
    assert [(r["repository"], r["number"], r["age"], r["stale"]) for r in data["open"]] == [(REPO, 1, "5 h", True)]
    assert [(r["number"], r["ttr"], r["postmortem"]) for r in data["resolved"]] == [(3, "30.0 minutes", "incomplete")]
    assert json.loads(CliRunner().invoke(cli, ["list", "--open", "--format", "json"]).output) == {"open": data["open"]}
    table = CliRunner().invoke(cli, ["list", "--repository", "acme/web"]).output
    assert "acme/web#3" in table and REPO not in table
    assert "STALE" in CliRunner().invoke(cli, ["list"]).output


def test_a_gitlab_group_has_its_board_too(client, redis_conn, store, fake_api, settings, monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_BOARD_REPOSITORIES", "gitlab:gitlabhq/ops")
    gitlab = FakeGitLab(fake_api, access={"alice": 30})
    for project in ("gitlabhq/gitlab-test", "gitlabhq/gitlab-shell"):
        gitlab.add_issue(project, 1, "Something broke", "")
        post_gitlab(client, "Note Hook", gitlab.note_event(project, 1, "alice", "/desk incident checkout down"))
    run_worker(redis_conn)
    assert update_board("gitlab", "gitlabhq") == "written"
    [(project, iid)] = [key for key in gitlab.issues if key[0] == "gitlabhq/ops"]
    body = gitlab.issues[(project, iid)]["description"]
    assert "## Open incidents (2)" in body
    assert "gitlabhq/gitlab-test#2" in body and "gitlabhq/gitlab-shell#2" in body
    assert update_board("gitlab", "gitlabhq") == "unchanged"


# GitHub's answers to an issue edit it refuses (REST "Update an issue"): a body over its 65536 characters, an
# installation without the Issues write permission, and an issue deleted since.
EDIT_DOCS = "https://docs.github.com/rest/issues/issues#update-an-issue"
TOO_LONG = (422, {"message": "Validation Failed", "errors": [
    {"resource": "Issue", "code": "custom", "field": "body",
     "message": "body is too long (maximum is 65536 characters)"}], "documentation_url": EDIT_DOCS, "status": "422"})
NOT_ALLOWED = (403, {"message": "Resource not accessible by integration", "documentation_url": EDIT_DOCS,
                     "status": "403"})
DELETED = (410, {"message": "This issue was deleted", "documentation_url": EDIT_DOCS, "status": "410"})


def written_board(client, redis_conn, github) -> int:
    declare_all(client, redis_conn, github)
    assert update_board("github", "codertocat") == "written"
    [(_, number)] = [key for key in github.issues if key[0] == BOARD]
    return number


def change_something(client, redis_conn, github, command: str) -> None:
    post_github(client, "issue_comment", github.comment_event(OTHER, 7, "alice", command))
    run_worker(redis_conn)


def boards_opened(fake_api) -> int:
    return len([w for w in board_writes(fake_api) if w.method == "POST" and w.url.split("?")[0].endswith("/issues")])


def test_a_board_edit_refused_for_its_length_is_said_once_and_no_second_board_is_opened(client, redis_conn, store,
                                                                                      github, fake_api):
    number = written_board(client, redis_conn, github)
    github.edit_failures[(BOARD, number)] = [TOO_LONG, TOO_LONG]
    change_something(client, redis_conn, github, "/status identified a bad pool")
    assert update_board("github", "codertocat") == "refused"  # on main: "written", on a new board issue
    change_something(client, redis_conn, github, "/severity major-outage")
    assert update_board("github", "codertocat") == "refused"
    assert boards_opened(fake_api) == 1 and [key for key in github.issues if key[0] == BOARD] == [(BOARD, number)]
    [said] = github.bot_comments(BOARD, number)  # once, with GitHub's reason
    assert "body is too long (maximum is 65536 characters)" in said and "422" in said
    assert store.board_issue("github", "codertocat").number == number

    change_something(client, redis_conn, github, "/status monitoring")
    assert update_board("github", "codertocat") == "written"  # the edit goes through again: in place
    assert boards_opened(fake_api) == 1 and "| monitoring |" in github.issues[(BOARD, number)]["body"]


def test_a_board_edit_without_permission_is_logged_and_not_replaced(client, redis_conn, store, github, fake_api,
                                                                    caplog):
    number = written_board(client, redis_conn, github)
    github.edit_failures[(BOARD, number)] = [NOT_ALLOWED]
    change_something(client, redis_conn, github, "/status identified a bad pool")
    with caplog.at_level("INFO", logger="incident_desk.board"):
        assert update_board("github", "codertocat") == "refused"
    assert boards_opened(fake_api) == 1 and github.bot_comments(BOARD, number) == []  # it could not say it there
    [logged] = [json.loads(r.getMessage()) for r in caplog.records if "refused" in r.getMessage()]
    assert logged["status"] == 403 and "Resource not accessible by integration" in logged["reason"]
    assert update_board("github", "codertocat") == "refused"  # the same text is not sent again
    assert len(board_writes(fake_api)) == 2


def test_a_deleted_board_is_replaced_by_a_new_one(client, redis_conn, store, github, fake_api):
    number = written_board(client, redis_conn, github)
    github.edit_failures[(BOARD, number)] = [DELETED]
    change_something(client, redis_conn, github, "/status identified a bad pool")
    assert update_board("github", "codertocat") == "written"
    assert boards_opened(fake_api) == 2 and store.board_issue("github", "codertocat").number != number


def test_a_transferred_board_is_replaced_by_a_new_one(client, redis_conn, store, github, fake_api):
    from tests.support import load_fixture

    number = written_board(client, redis_conn, github)
    payload = load_fixture("github", "issues__transferred")  # GitHub's `issues` `transferred`, for the board issue
    payload["issue"] = github.issue_json(BOARD, number)
    payload["repository"]["full_name"] = BOARD
    post_github(client, "issues", payload)
    run_worker(redis_conn)
    assert update_board("github", "codertocat") == "written"  # on main: "unchanged", the board elsewhere now
    assert boards_opened(fake_api) == 2 and len(board_writes(fake_api)) == 2  # no edit of the moved issue
    assert store.board_issue("github", "codertocat").number != number
