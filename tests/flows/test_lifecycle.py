"""Issue 5 end to end: running an incident from comments on both forges, keep-open, follow-ups, reminders."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq.registry import ScheduledJobRegistry

from incidents.document import parse_document
from incidents.model import Severity, Status
from incidents.profiles import get_profile
from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import GITLAB_URL, load_fixture, post_github, post_gitlab, request_json, run_worker
from worker.queue import deliveries_queue

REPO, BACKLOG = "Codertocat/Hello-World", "team/backlog"
RUN_IT = """Rolling back now.
/severity major-outage
/component api
/timeline 14:05 rollback started
/action add alert on queue depth @alice due 2026-12-01 in team/backlog
/status resolved fixed by rollback
"""


def summaries(comments):
    return [c for c in comments if c.startswith(SUMMARY_MARKER)]


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "bob": "read", "maria": "maintain"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    fake.add_issue(BACKLOG, 1, "Older backlog item")
    return fake


def declare_and_run_on_github(client, redis_conn, github):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", RUN_IT))
    run_worker(redis_conn)


def test_github_whole_incident_from_comments(client, redis_conn, store, github):
    declare_and_run_on_github(client, redis_conn, github)

    incident_issue = github.issues[(REPO, 2)]
    assert incident_issue["title"] == "db is down"
    assert "Declared by @alice from Codertocat/Hello-World#1" in incident_issue["body"]
    assert any("declared incident #2" in c for c in github.bot_comments(REPO, 1))  # linked both ways
    assert set(incident_issue["labels"]) >= {"incident", "status: resolved", "severity: major-outage",
                                             "component: api"}
    assert not {"status: investigating"} & set(incident_issue["labels"])

    document = parse_document(incident_issue["body"], get_profile(None))
    texts = [entry.text for entry in document.timeline]
    assert "rollback started" in texts and "Status: resolved - fixed by rollback" in texts
    [action] = document.actions
    assert (action.owner, str(action.due), action.linked_issue, action.done) == (
        "alice", "2026-12-01", "team/backlog#2", False)
    follow_up = github.issues[(BACKLOG, 2)]
    assert follow_up["title"] == "add alert on queue depth" and follow_up["assignees"] == ["alice"]
    assert "Codertocat/Hello-World#2" in follow_up["body"]

    incident = store.get_incident("github", REPO, 2)
    assert incident.status is Status.RESOLVED and incident.severity is Severity.MAJOR_OUTAGE
    assert incident.components == ("api",) and incident.commander == incident.operations_lead == "alice"
    assert incident.resolved_at is not None
    [summary] = summaries(github.bot_comments(REPO, 2))
    assert "**Status:** resolved" in summary and "**Severity:** Major outage" in summary and "`api`" in summary
    [reply] = [c for c in github.bot_comments(REPO, 2) if "✅" in c]
    assert reply.count("✅") == 5


def test_github_closing_reopens_then_closing_the_follow_up_ticks_and_closes(client, redis_conn, store, github):
    github.files[(REPO, ".github/incident-desk.yml")] = "close_when_actions_done: true\n"
    declare_and_run_on_github(client, redis_conn, github)

    github.issues[(REPO, 2)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(REPO, 2, "closed", "alice"))
    run_worker(redis_conn)
    assert github.issues[(REPO, 2)]["state"] == "open"
    reopened = github.bot_comments(REPO, 2)[-1]
    assert "Reopened" in reopened and "add alert on queue depth" in reopened and "@alice" in reopened

    github.issues[(BACKLOG, 2)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(BACKLOG, 2, "closed", "alice"))
    run_worker(redis_conn)
    [action] = parse_document(github.issues[(REPO, 2)]["body"], get_profile(None)).actions
    assert action.done
    assert github.issues[(REPO, 2)]["state"] == "closed"
    assert any("Every action item of this incident is done" in c for c in github.bot_comments(REPO, 2))
    assert store.get_incident("github", REPO, 2).closed_at is not None


def test_github_read_only_user_cannot_resolve(client, redis_conn, store, github):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    labels_before = list(github.issues[(REPO, 2)]["labels"])

    post_github(client, "issue_comment", github.comment_event(REPO, 2, "bob", "/status resolved all good"))
    run_worker(redis_conn)

    reply = github.bot_comments(REPO, 2)[-1]
    assert "⛔" in reply and "commander, or maintainer access" in reply
    assert github.issues[(REPO, 2)]["labels"] == labels_before
    assert store.get_incident("github", REPO, 2).status is Status.INVESTIGATING


def test_github_unknown_command_and_bad_argument_get_usage_and_change_nothing(client, redis_conn, store, github):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    body_before = github.issues[(REPO, 2)]["body"]
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice",
                                                              "/status exploded\n/timeline 25:99 x\n/desk frobnicate"))
    run_worker(redis_conn)
    reply = github.bot_comments(REPO, 2)[-1]
    assert reply.count("❓") == 3 and "Usage: `/status <investigating" in reply and "/timeline" in reply
    assert github.issues[(REPO, 2)]["body"] == body_before
    assert store.get_incident("github", REPO, 2).status is Status.INVESTIGATING


def test_github_edited_comment_runs_no_command(client, redis_conn, github):
    payload = github.comment_event(REPO, 1, "alice", "/incident db is down")
    payload["action"] = "edited"
    post_github(client, "issue_comment", payload)
    run_worker(redis_conn)
    assert (REPO, 2) not in github.issues


def test_force_close_is_recorded_and_not_reopened(client, redis_conn, store, github):
    """maria has GitHub's Maintain role, which the legacy `permission` field calls write (issue 13 item 17)."""
    declare_and_run_on_github(client, redis_conn, github)
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "maria", "/close --force tracked elsewhere"))
    run_worker(redis_conn)
    assert github.issues[(REPO, 2)]["state"] == "closed"
    assert "although actions are open: tracked elsewhere" in github.issues[(REPO, 2)]["body"]
    post_github(client, "issues", github.issues_event(REPO, 2, "closed", "incident-desk-bot[bot]"))
    post_github(client, "issues", github.issues_event(REPO, 2, "closed", "maria"))
    run_worker(redis_conn)
    assert github.issues[(REPO, 2)]["state"] == "closed"
    assert store.get_incident("github", REPO, 2).forced_close


def test_reminder_after_the_interval_and_none_after_an_update(client, redis_conn, store, github):
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
        run_worker(redis_conn)
        assert store.get_incident("github", REPO, 2).commander == "alice"
        comments = len(github.bot_comments(REPO, 2))

        clock.move_to(start + timedelta(minutes=30))  # an update inside the first hour
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/timeline 14:25 found it"))
        run_worker(redis_conn)
        comments = len(github.bot_comments(REPO, 2))

        clock.move_to(start + timedelta(minutes=61))  # the first reminder is due, but there was an update
        run_worker(redis_conn)
        assert len(github.bot_comments(REPO, 2)) == comments

        clock.move_to(start + timedelta(minutes=91))  # an hour after the update, nothing since
        run_worker(redis_conn)
        reminder = github.bot_comments(REPO, 2)[-1]
        assert len(github.bot_comments(REPO, 2)) == comments + 1
        assert reminder.count("@alice") == 1 and "since the last update" in reminder
        assert "`/status <status>" in reminder and "31 minutes" not in reminder

        registry = ScheduledJobRegistry(queue=deliveries_queue(redis_conn))
        assert len(registry.get_job_ids()) == 1  # the next reminder, one per incident


def test_reminders_stop_at_resolved(client, redis_conn, store, github):
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        declare_and_run_on_github(client, redis_conn, github)  # ends with /status resolved
        comments = len(github.bot_comments(REPO, 2))
        clock.move_to(start + timedelta(hours=3))
        run_worker(redis_conn)
        assert len(github.bot_comments(REPO, 2)) == comments


# ---------------------------------------------------------------- GitLab

PROJECT, GL_BACKLOG = "gitlabhq/gitlab-test", "team/backlog"


@pytest.fixture
def gitlab(fake_api):
    fake = FakeGitLab(fake_api, access={"alice": 30, "bob": 20})
    fake.add_issue(PROJECT, 1, "Unrelated issue")
    fake.add_issue(GL_BACKLOG, 1, "Older backlog item")
    return fake


def test_gitlab_whole_incident_from_notes_with_desk_commands(client, redis_conn, store, gitlab):
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident db is down"))
    run_worker(redis_conn)
    run_it = RUN_IT.replace("\n/", "\n/desk ")
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice", run_it))
    run_worker(redis_conn)

    issue = gitlab.issues[(PROJECT, 2)]
    assert set(issue["labels"]) >= {"incident", "status::resolved", "severity::major-outage", "component: api"}
    assert "status::investigating" not in issue["labels"]
    document = parse_document(issue["description"], get_profile(None))
    assert "rollback started" in [e.text for e in document.timeline]
    [action] = document.actions
    assert action.linked_issue == "team/backlog#2" and action.owner == "alice"
    assert gitlab.issues[(GL_BACKLOG, 2)]["assignee_ids"] == [gitlab.user_id("alice")]
    incident = store.get_incident("gitlab", PROJECT, 2)
    assert incident.status is Status.RESOLVED and incident.components == ("api",)
    assert len(summaries(gitlab.bot_notes(PROJECT, 2))) == 1
    assert any("declared incident #2" in note for note in gitlab.bot_notes(PROJECT, 1))
    [reply] = [note for note in gitlab.bot_notes(PROJECT, 2) if "✅" in note]
    assert reply.count("✅") == 5 and "`/desk severity major-outage`" in reply

    issue["state"] = "closed"
    post_gitlab(client, "Issue Hook", gitlab.issue_event(PROJECT, 2, "close", "alice"))
    run_worker(redis_conn)
    assert issue["state"] == "opened" and "@alice" in gitlab.bot_notes(PROJECT, 2)[-1]



def test_gitlab_incidents_the_bot_opens_are_of_gitlabs_incident_type(client, redis_conn, gitlab, fake_api):
    """GitLab lists incidents apart (Monitor > Incidents, with their own timeline): a declared incident is opened
    as one; its follow-up issues stay plain issues."""
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident db is down"))
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice",
                                                      "/desk action add alert on queue depth @alice in team/backlog"))
    run_worker(redis_conn)
    created = [request_json(c) for c in fake_api.calls
               if c.request.method == "POST" and c.request.url.split("?")[0].endswith("/issues")]
    assert [body.get("issue_type") for body in created] == ["incident", None]

def test_gitlab_reporter_cannot_set_status(client, redis_conn, store, gitlab):
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident db is down"))
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "bob", "/desk status resolved"))
    run_worker(redis_conn)
    assert "⛔" in gitlab.bot_notes(PROJECT, 2)[-1]
    assert store.get_incident("gitlab", PROJECT, 2).status is Status.INVESTIGATING


def test_help_lists_every_command_to_anyone(client, redis_conn, github):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "stranger", "/help"))
    run_worker(redis_conn)
    reply = github.bot_comments(REPO, 1)[-1]
    for name in ("incident", "status", "severity", "timeline", "action", "taxonomy", "postmortem", "close"):
        assert f"`/{name}" in reply


def test_gitlab_own_quick_actions_get_no_error_reply_but_desk_errors_do(client, redis_conn, gitlab):
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident db is down"))
    run_worker(redis_conn)
    notes = len(gitlab.bot_notes(PROJECT, 2))
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice", "/close\n/severity S1"))
    run_worker(redis_conn)
    assert len(gitlab.bot_notes(PROJECT, 2)) == notes  # GitLab's own /close and /severity: not ours
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice", "/desk severity S1"))
    run_worker(redis_conn)
    assert "❓" in gitlab.bot_notes(PROJECT, 2)[-1] and "Usage: `/desk severity" in gitlab.bot_notes(PROJECT, 2)[-1]


def test_reminder_rereads_follow_ups_that_send_no_hooks(client, redis_conn, store, github):
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
        run_worker(redis_conn)
        post_github(client, "issue_comment", github.comment_event(
            REPO, 2, "alice", "/action add alert on queue depth @alice in team/backlog"))
        run_worker(redis_conn)
        github.issues[(BACKLOG, 2)]["state"] = "closed"  # closed where the bot gets no webhook
        clock.move_to(start + timedelta(minutes=61))
        run_worker(redis_conn)
    [action] = parse_document(github.issues[(REPO, 2)]["body"], get_profile(None)).actions
    assert action.done
    assert any("Every action item of this incident is done" in c for c in github.bot_comments(REPO, 2))


MR_PROJECT = "gitlab-org/gitlab-test"  # the project of the real note__merge_request fixture


_note_ids = iter(range(9000, 10000))


def merge_request_note(body: str) -> dict:
    """The real note on merge request !1, saying `body`; each a note of its own (commands run once per note)."""
    payload = load_fixture("gitlab", "note__merge_request")
    payload["object_attributes"]["note"] = body
    payload["object_attributes"]["id"] = next(_note_ids)
    payload["merge_request"]["url"] = f"{GITLAB_URL}/{MR_PROJECT}/-/merge_requests/1"
    return payload


def test_gitlab_reply_to_a_merge_request_note_goes_on_the_merge_request(client, redis_conn, store, gitlab):
    """issue 13 item 18: the reply goes where the command was written, not to the issue with that number;
    and a command on merge request !1 does not act on incident #1."""
    gitlab.access["root"] = 40
    gitlab.add_mr(MR_PROJECT, 1, "Tempora et eos debitis quae laborum et.")
    post_gitlab(client, "Note Hook", merge_request_note("/desk incident db is down"))
    run_worker(redis_conn)
    assert store.get_incident("gitlab", MR_PROJECT, 1).tracking  # the new incident is issue #1
    [reply] = [note["body"] for note in gitlab.mrs[(MR_PROJECT, 1)]["notes"]]
    assert "declared incident #1" in reply

    post_gitlab(client, "Note Hook", merge_request_note("/desk status resolved all good"))
    run_worker(redis_conn)
    replies = [note["body"] for note in gitlab.mrs[(MR_PROJECT, 1)]["notes"]]
    assert len(replies) == 2 and "not an incident" in replies[1]
    assert not any("✅" in note or "⚠️" in note for note in gitlab.bot_notes(MR_PROJECT, 1))
    assert store.get_incident("gitlab", MR_PROJECT, 1).status is Status.INVESTIGATING
    assert "status::resolved" not in gitlab.issues[(MR_PROJECT, 1)]["labels"]


def test_follow_up_closing_elsewhere_keeps_the_incidents_own_label_scheme(client, redis_conn, store, github):
    """issue 13 item 19: the follow-up's repository uses the default labels; the incident's config says `state/`."""
    github.files[(REPO, ".github/incident-desk.yml")] = 'labels:\n  status_prefix: "state/"\n'
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "alice", "/action add alert on queue depth @alice in team/backlog"))
    run_worker(redis_conn)
    assert "state/investigating" in github.issues[(REPO, 2)]["labels"]

    github.issues[(BACKLOG, 2)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(BACKLOG, 2, "closed", "alice"))
    run_worker(redis_conn)
    [action] = parse_document(github.issues[(REPO, 2)]["body"], get_profile(None)).actions
    assert action.done  # the close did reach the incident
    labels = github.issues[(REPO, 2)]["labels"]
    assert "state/investigating" in labels and not any(label.startswith("status: ") for label in labels)
    assert store.get_incident("github", REPO, 2).status is Status.INVESTIGATING


def test_fix_merged_elsewhere_keeps_the_incidents_own_label_scheme(client, redis_conn, store, github):
    """issue 13 item 19, for a merge request in another repository linking the incident."""
    github.files[(REPO, ".github/incident-desk.yml")] = 'labels:\n  status_prefix: "state/"\n'
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    github.add_pull("team/service", 7, "Revert pool tuning", body=f"Fixes incident {REPO}#2",
                    merged_at="2026-11-20T14:40:00Z")
    post_github(client, "pull_request", github.pull_request_event("team/service", 7, "closed"))
    run_worker(redis_conn)
    assert "Fix merged: team/service#7" in github.issues[(REPO, 2)]["body"]  # the merge did reach the incident
    labels = github.issues[(REPO, 2)]["labels"]
    assert "state/investigating" in labels and not any(label.startswith("status: ") for label in labels)


SECRET = "secret/vault"


def test_commands_naming_another_repository_need_access_to_it(client, redis_conn, store, github):
    """issue 13 item 2: read access to link its merge requests, write access to open follow-ups there;
    a refusal changes nothing and shows nothing of that repository."""
    github.permissions.update({(SECRET, "alice"): "none", "carol": "write", (SECRET, "carol"): "read"})
    github.add_pull(SECRET, 7, "Rotate the leaked root key", merged_at="2026-11-20T13:30:00Z")
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    body_before = github.issues[(REPO, 2)]["body"]

    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "alice", f"/caused-by {SECRET}#7\n/action rotate keys @alice in {SECRET}"))
    run_worker(redis_conn)
    reply = github.bot_comments(REPO, 2)[-1]
    assert f"you need read access to `{SECRET}`" in reply and f"you need write access to `{SECRET}`" in reply
    assert "✅" not in reply
    assert not [c for c in github.api.calls if f"/repos/{SECRET}/pulls" in c.request.url]  # never read
    assert not [c for c in github.api.calls if c.request.method == "POST" and f"/repos/{SECRET}/" in c.request.url]
    assert github.issues[(REPO, 2)]["body"] == body_before
    assert not store.links(store.get_incident("github", REPO, 2))
    assert not any("Rotate the leaked" in c for c in github.bot_comments(REPO, 2))

    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "carol", f"/caused-by {SECRET}#7\n/action rotate keys @carol in {SECRET}"))
    run_worker(redis_conn)
    reply = github.bot_comments(REPO, 2)[-1]
    assert f"linked {SECRET}#7 as the cause" in reply  # a reader may link it
    assert f"you need write access to `{SECRET}`" in reply and (SECRET, 1) not in github.issues
    assert [link.number for link in store.links(store.get_incident("github", REPO, 2))] == [7]


def test_gitlab_follow_up_in_a_project_without_access_is_refused(client, redis_conn, store, gitlab):
    """issue 13 item 2, on GitLab: a developer here is nobody in `secret/vault`."""
    gitlab.access[(SECRET, "alice")] = None
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident db is down"))
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice", f"/desk action rotate keys in {SECRET}"))
    run_worker(redis_conn)
    assert f"you need write access to `{SECRET}`" in gitlab.bot_notes(PROJECT, 2)[-1]
    assert not any(project == SECRET for project, _ in gitlab.issues)
    assert parse_document(gitlab.issues[(PROJECT, 2)]["description"], get_profile(None)).actions == ()


def test_linking_a_merge_request_that_is_not_there_is_refused_with_the_reason(client, redis_conn, store, github):
    """issue 13 item 2: with access, a missing merge request gets a reply (before, the job failed unanswered)."""
    github.permissions[(SECRET, "alice")] = "read"
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", f"/fixed-by {SECRET}#99"))
    run_worker(redis_conn)
    assert f"there is no merge request {SECRET}#99 that I can read" in github.bot_comments(REPO, 2)[-1]
    assert not store.links(store.get_incident("github", REPO, 2))


def declare_resolve_and_close_by_hand(client, redis_conn, github):
    """An incident with nothing left to do, resolved, then closed by alice (so the bot lets it close)."""
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/status resolved rolled back"))
    run_worker(redis_conn)
    github.issues[(REPO, 2)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(REPO, 2, "closed", "alice"))
    run_worker(redis_conn)


def test_reopening_by_hand_makes_the_incident_open_again(client, redis_conn, store, github):
    """Reopening an incident issue by hand clears its close: the board, reminders and chat see it open."""
    declare_resolve_and_close_by_hand(client, redis_conn, github)
    assert store.get_incident("github", REPO, 2).closed_at is not None

    github.issues[(REPO, 2)]["state"] = "open"
    post_github(client, "issues", github.issues_event(REPO, 2, "reopened", "alice"))
    run_worker(redis_conn)
    incident = store.get_incident("github", REPO, 2)
    assert incident.closed_at is None and incident.tracking

    github.issues[(REPO, 2)]["state"] = "closed"  # and closing it again closes it again
    post_github(client, "issues", github.issues_event(REPO, 2, "closed", "alice"))
    run_worker(redis_conn)
    assert store.get_incident("github", REPO, 2).closed_at is not None


def test_a_late_reopened_delivery_does_not_reopen_an_issue_closed_since(client, redis_conn, store, github):
    """Deliveries can arrive out of order: a `reopened` whose issue is closed again by now changes nothing."""
    declare_resolve_and_close_by_hand(client, redis_conn, github)
    github.issues[(REPO, 2)]["state"] = "open"
    stale = github.issues_event(REPO, 2, "reopened", "alice")  # the issue as it was when reopened
    github.issues[(REPO, 2)]["state"] = "closed"
    post_github(client, "issues", stale)
    run_worker(redis_conn)
    assert store.get_incident("github", REPO, 2).closed_at is not None


def test_a_late_closed_delivery_does_not_close_an_issue_reopened_since(client, redis_conn, store, github):
    """Closed and reopened at once, the two deliveries run in either order: a `closed` whose issue is open
    again by now closes nothing (no closed_at, no close on the board or in chat)."""
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/status resolved rolled back"))
    run_worker(redis_conn)
    github.issues[(REPO, 2)]["state"] = "closed"
    stale = github.issues_event(REPO, 2, "closed", "alice")  # the issue as it was when closed
    github.issues[(REPO, 2)]["state"] = "open"
    post_github(client, "issues", stale)
    run_worker(redis_conn)
    assert store.get_incident("github", REPO, 2).closed_at is None
    assert github.issues[(REPO, 2)]["state"] == "open"
