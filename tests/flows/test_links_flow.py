"""Issue 6 end to end: cause and fix merge requests linked, timeline at merge times, the check, and
TTD/TTF/TTR in the summary matching a hand calculation."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.document import parse_document
from incidents.profiles import get_profile
from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub, github_commit
from tests.fakes.gitlab import FakeGitLab, gitlab_commit
from tests.support import load_fixture, post_github, post_gitlab, run_worker

REPO = "Codertocat/Hello-World"
T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # the incident is reported
CAUSE_MERGED = "2026-11-20T13:30:00Z"                     # 30 minutes earlier the cause reached production


def summary_of(comments):
    [summary] = [c for c in comments if c.startswith(SUMMARY_MARKER)]
    return summary


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file")
    fake.add_pull(REPO, 4, "Tune the connection pool", merged_at=CAUSE_MERGED, sha="a" * 40)
    fake.add_pull(REPO, 5, "Revert pool tuning", body="Fixes incident #2", sha="b" * 40)
    return fake


def test_github_cause_and_fix_are_linked_and_measured(client, redis_conn, store, github):
    with time_machine.travel(T0, tick=False) as clock:
        post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
        run_worker(redis_conn)

        clock.move_to(T0 + timedelta(minutes=10))
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/caused-by #4"))
        run_worker(redis_conn)

        clock.move_to(T0 + timedelta(minutes=20))
        post_github(client, "pull_request", github.pull_request_event(REPO, 5, "opened"))
        run_worker(redis_conn)
        [neutral] = [s for s in github.statuses if s["sha"] == "b" * 40]
        assert neutral["context"] == "incident-desk/postmortem" and neutral["state"] == "success"
        assert "due once it is resolved" in neutral["description"]

        clock.move_to(T0 + timedelta(minutes=40))
        github.pulls[(REPO, 5)]["merged_at"] = "2026-11-20T14:40:00Z"
        post_github(client, "pull_request", github.pull_request_event(REPO, 5, "closed"))
        run_worker(redis_conn)

        clock.move_to(T0 + timedelta(minutes=45))
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/status resolved rolled back"))
        run_worker(redis_conn)

    links = {link.number: link for link in store.links(store.get_incident("github", REPO, 2))}
    assert (links[4].role, links[4].source, links[5].role, links[5].source) == ("cause", "command", "fix", "text")
    assert links[5].merged_at == datetime(2026, 11, 20, 14, 40, tzinfo=UTC)

    entries = {e.text: e.at for e in parse_document(github.issues[(REPO, 2)]["body"], get_profile(None)).timeline}
    assert entries["Cause merged: #4 Tune the connection pool"] == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    assert entries["Fix merged: #5 Revert pool tuning"] == datetime(2026, 11, 20, 14, 40, tzinfo=UTC)

    summary = summary_of(github.bot_comments(REPO, 2))
    assert "- cause: [#4](https://github.com/Codertocat/Hello-World/pull/4)" in summary
    assert "- fix: [#5](https://github.com/Codertocat/Hello-World/pull/5)" in summary
    # By hand: 13:30 merged, 14:00 reported, 14:45 resolved.
    assert "**TTD** 30.0 minutes" in summary and "**TTF** 45.0 minutes" in summary
    assert "**TTR** 1.3 hours" in summary  # 75 minutes = 1.25 hours, rounded half-up
    assert "cause merged (#4)" in summary

    pr_comments = github.bot_comments(REPO, 5)
    assert len(pr_comments) == 1 and "the fix of incident Codertocat/Hello-World#2" in pr_comments[0]
    last = [s for s in github.statuses if s["sha"] == "b" * 40][-1]
    assert last["state"] == "failure" and "error(s)" in last["description"]  # resolved: the empty postmortem counts
    incident = store.get_incident("github", REPO, 2)
    assert (incident.ttd_seconds, incident.ttf_seconds, incident.ttr_seconds) == (1800.0, 2700.0, 4500.0)


def test_an_edit_that_removes_the_reference_unlinks(client, redis_conn, store, github):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
    run_worker(redis_conn)
    post_github(client, "pull_request", github.pull_request_event(REPO, 5, "opened"))
    run_worker(redis_conn)
    assert [link.number for link in store.links(store.get_incident("github", REPO, 2))] == [5]

    github.pulls[(REPO, 5)]["body"] = "Unrelated cleanup."
    post_github(client, "pull_request", github.pull_request_event(REPO, 5, "edited"))
    run_worker(redis_conn)
    assert store.links(store.get_incident("github", REPO, 2)) == []
    assert "Linked merge requests" not in summary_of(github.bot_comments(REPO, 2))


def test_a_commit_given_as_the_cause_is_refused(client, redis_conn, store, github):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "alice", "/caused-by https://github.com/Codertocat/Hello-World/commit/" + "c" * 40))
    run_worker(redis_conn)
    reply = github.bot_comments(REPO, 2)[-1]
    assert "❓" in reply and "merge request" in reply
    assert store.links(store.get_incident("github", REPO, 2)) == []



def test_a_merge_request_url_of_another_forge_is_refused_not_looked_up_here(client, redis_conn, store, github):
    """`Codertocat/Hello-World` pull 4 exists here; a URL naming that path on another host means another one."""
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "alice", "/caused-by https://gitlab.example.com/Codertocat/Hello-World/-/merge_requests/4"))
    run_worker(redis_conn)
    reply = github.bot_comments(REPO, 2)[-1]
    assert "gitlab.example.com" in reply and "github.com" in reply and "nothing changed" in reply
    assert store.links(store.get_incident("github", REPO, 2)) == []
    post_github(client, "issue_comment", github.comment_event(
        REPO, 2, "alice", "/caused-by https://api.github.com/repos/Codertocat/Hello-World/pulls/4"))
    run_worker(redis_conn)  # this forge's own API URL names this forge's pull request
    assert [link.number for link in store.links(store.get_incident("github", REPO, 2))] == [4]

def test_closes_a_plain_issue_is_not_a_link(client, redis_conn, store, github):
    github.add_pull(REPO, 6, "Fix typo", body="Closes #1", sha="d" * 40)
    post_github(client, "pull_request", github.pull_request_event(REPO, 6, "opened"))
    run_worker(redis_conn)
    assert github.bot_comments(REPO, 6) == [] and github.statuses == []


PROJECT = "gitlabhq/gitlab-test"


def test_gitlab_fix_closing_the_incident_and_caused_by_command(client, redis_conn, store, fake_api):
    gitlab = FakeGitLab(fake_api, access={"alice": 30})
    gitlab.add_issue(PROJECT, 1, "Unrelated")
    gitlab.add_mr(PROJECT, 3, "Tune the connection pool", merged_at=CAUSE_MERGED, sha="e" * 40)
    gitlab.add_mr(PROJECT, 4, "Revert pool tuning", body="Fixes incident #2", sha="f" * 40)
    with time_machine.travel(T0, tick=False) as clock:
        post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident api errors"))
        run_worker(redis_conn)
        post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 2, "alice", "/desk caused-by !3"))
        run_worker(redis_conn)
        clock.move_to(T0 + timedelta(minutes=40))
        gitlab.mrs[(PROJECT, 4)]["merged_at"] = "2026-11-20T14:40:00Z"  # only the API knows it
        post_gitlab(client, "Merge Request Hook", gitlab.merge_request_event(PROJECT, 4, "merge"))
        run_worker(redis_conn)
        post_gitlab(client, "Merge Request Hook", gitlab.merge_request_event(PROJECT, 4, "merge"))  # redelivered
        run_worker(redis_conn)

    links = {link.number: link for link in store.links(store.get_incident("gitlab", PROJECT, 2))}
    assert links[3].role == "cause" and links[4].role == "fix"
    assert links[4].merged_at == datetime(2026, 11, 20, 14, 40, tzinfo=UTC)
    body = gitlab.issues[(PROJECT, 2)]["description"]
    assert body.count("Fix merged: !4 Revert pool tuning") == 1
    assert "Cause merged: !3 Tune the connection pool" in body
    assert len(gitlab.mrs[(PROJECT, 4)]["notes"]) == 1
    statuses = [s for s in gitlab.statuses if s["sha"] == "f" * 40]
    assert statuses and statuses[-1]["name"] == "incident-desk/postmortem" and statuses[-1]["state"] == "success"
    summary = summary_of(gitlab.bot_notes(PROJECT, 2))
    assert "**TTD** 30.0 minutes" in summary and "- fix: [!4]" in summary


def test_postmortem_fills_the_impact_lines_in_the_reference_format(client, redis_conn, store, github):
    github.files[(REPO, ".github/incident-desk.yml")] = ("profile: impact-cause-solution-conclusion\n"
                                                         "timezone: America/Bogota\n")
    with time_machine.travel(T0, tick=False) as clock:
        post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
        run_worker(redis_conn)
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/caused-by #4"))
        run_worker(redis_conn)
        clock.move_to(T0 + timedelta(hours=4, minutes=26))
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/status resolved fixed"))
        run_worker(redis_conn)
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/postmortem"))
        run_worker(redis_conn)
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/postmortem"))  # twice
        run_worker(redis_conn)
    body = github.issues[(REPO, 2)]["body"]
    document = parse_document(body, get_profile("impact-cause-solution-conclusion"), "America/Bogota")
    impact = document.sections["Impact"].text
    # By hand, in Bogota (UTC-5): merged 08:30, reported 09:00, resolved 13:26.
    assert ("at UTC-5 [1] 26-11-20 08:30 to [2] 26-11-20 13:26 (resolve time: no fix merge request linked)"
            " | Time to recover was 4.9 hours") in impact  # 4 h 56 min
    assert "at UTC-5 [1] 26-11-20 09:00 | Time to detect was 30.0 minutes" in impact
    assert body.count("<!-- incident-desk:impact -->") == 1  # replaced, not repeated
    for name in ("Impact", "Cause", "Solution", "Conclusion"):
        assert name in document.sections


# --- issue 13 item 25: merge requests linked from their commits ----------------------------------

def commit_calls(fake_api, path_end):
    return [c.request.url for c in fake_api.calls if c.request.url.split("?")[0].endswith(path_end)]


def github_delivery(github, number, action):
    """A real `pull_request` fixture (synchronize has its own, with before/after) holding the fake's pull request."""
    name = {"synchronize": "pull_request__synchronize", "reopened": "pull_request__reopened"}.get(action)
    if name is None:
        return github.pull_request_event(REPO, number, action)
    payload = load_fixture("github", name)
    payload["pull_request"] = github.pull_json(REPO, number)
    payload.update(number=number)
    payload["repository"]["full_name"] = REPO
    payload["sender"]["login"] = "alice"
    return payload


def test_github_commit_messages_link_with_one_commits_call_per_change(client, redis_conn, store, github, fake_api):
    """issue 13 item 25: a pull request whose commits (not its text) say `Fixes incident #2` is linked;
    the commits are read once per opened/synchronize and never on edited or closed, and an edit of the
    text does not unlink what a commit says."""
    github.add_pull(REPO, 7, "Tune the retry budget", body="Small change.", sha="c" * 40)
    commits = github.pull_commits[(REPO, 7)] = [github_commit(REPO, "1" * 40, "Add a retry budget")]
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
    run_worker(redis_conn)

    post_github(client, "pull_request", github_delivery(github, 7, "opened"))
    run_worker(redis_conn)
    calls = commit_calls(fake_api, "/pulls/7/commits")
    assert len(calls) == 1 and "per_page=100" in calls[0]
    assert store.links(store.get_incident("github", REPO, 2)) == []

    commits.append(github_commit(REPO, "2" * 40, "Lower the retry budget\n\nFixes incident #2"))  # a push
    post_github(client, "pull_request", github_delivery(github, 7, "synchronize"))
    run_worker(redis_conn)
    assert len(commit_calls(fake_api, "/pulls/7/commits")) == 2
    [link] = store.links(store.get_incident("github", REPO, 2))
    assert (link.number, link.role, link.source) == (7, "fix", "commits")
    assert "the fix of incident Codertocat/Hello-World#2" in github.bot_comments(REPO, 7)[0]

    github.pulls[(REPO, 7)]["body"] = "Small change, reworded."
    post_github(client, "pull_request", github_delivery(github, 7, "edited"))
    run_worker(redis_conn)
    github.pulls[(REPO, 7)]["merged_at"] = "2026-11-20T14:40:00Z"
    post_github(client, "pull_request", github_delivery(github, 7, "closed"))
    run_worker(redis_conn)
    assert len(commit_calls(fake_api, "/pulls/7/commits")) == 2  # no call for edited or closed
    assert [link.number for link in store.links(store.get_incident("github", REPO, 2))] == [7]
    assert "Fix merged: #7 Tune the retry budget" in github.issues[(REPO, 2)]["body"]


def test_github_force_push_dropping_the_commit_unlinks(client, redis_conn, store, github, fake_api):
    """issue 13 item 25: when a push removes the only commit that referenced the incident, it is unlinked."""
    github.add_pull(REPO, 7, "Tune the retry budget", sha="c" * 40)
    commits = github.pull_commits[(REPO, 7)] = [github_commit(REPO, "2" * 40, "Caused-by: #2")]
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
    run_worker(redis_conn)
    post_github(client, "pull_request", github_delivery(github, 7, "opened"))
    run_worker(redis_conn)
    assert [(link.number, link.role) for link in store.links(store.get_incident("github", REPO, 2))] == [(7, "cause")]

    commits[:] = [github_commit(REPO, "3" * 40, "Tune the retry budget")]
    post_github(client, "pull_request", github_delivery(github, 7, "synchronize"))
    run_worker(redis_conn)
    assert store.links(store.get_incident("github", REPO, 2)) == []


def test_gitlab_all_commits_are_read_on_open_and_on_new_commits_only(client, redis_conn, store, fake_api):
    """issue 13 item 25: not only the hook's last commit counts: the merge request's commits are read
    (one call) when it is opened and when an update brings new commits (`oldrev`), not on other updates."""
    gitlab = FakeGitLab(fake_api, access={"alice": 30})
    gitlab.add_issue(PROJECT, 1, "Unrelated")
    gitlab.add_mr(PROJECT, 4, "Revert pool tuning", body="Rolls back.", sha="f" * 40)
    commits = gitlab.mr_commits[(PROJECT, 4)] = [  # newest first, as GitLab lists them
        gitlab_commit(PROJECT, "f" * 40, "Tidy the changelog"),
        gitlab_commit(PROJECT, "e" * 40, "Revert pool tuning\n\nFixes incident #2")]
    post_gitlab(client, "Note Hook", gitlab.note_event(PROJECT, 1, "alice", "/desk incident api errors"))
    run_worker(redis_conn)

    hook = gitlab.merge_request_event(PROJECT, 4, "open")
    hook["object_attributes"]["last_commit"]["message"] = "Tidy the changelog"
    post_gitlab(client, "Merge Request Hook", hook)
    run_worker(redis_conn)
    assert len(commit_calls(fake_api, "/merge_requests/4/commits")) == 1
    [link] = store.links(store.get_incident("gitlab", PROJECT, 2))
    assert (link.number, link.role, link.source) == (4, "fix", "commits")
    assert "the fix of incident gitlabhq/gitlab-test#2" in gitlab.mrs[(PROJECT, 4)]["notes"][0]["body"]

    update = gitlab.merge_request_event(PROJECT, 4, "update")  # a label or title change: no oldrev
    update["object_attributes"]["last_commit"]["message"] = "Tidy the changelog"
    post_gitlab(client, "Merge Request Hook", update)
    run_worker(redis_conn)
    assert len(commit_calls(fake_api, "/merge_requests/4/commits")) == 1
    assert [link.number for link in store.links(store.get_incident("gitlab", PROJECT, 2))] == [4]

    commits[:] = [gitlab_commit(PROJECT, "a" * 40, "Tidy the changelog")]  # force-pushed without the revert
    update["object_attributes"]["oldrev"] = "f" * 40
    post_gitlab(client, "Merge Request Hook", update)
    run_worker(redis_conn)
    assert len(commit_calls(fake_api, "/merge_requests/4/commits")) == 2
    assert store.links(store.get_incident("gitlab", PROJECT, 2)) == []


def test_github_edit_reads_commits_only_when_the_base_changed(client, redis_conn, store, github, fake_api):
    """issue 13 item 25: an `edited` delivery changes the commits only when it moved the base
    (`changes.base`, as GitHub's webhook schema documents it); a title edit (`changes.title`) costs no call."""
    github.add_pull(REPO, 7, "Tune the retry budget", sha="c" * 40)
    github.pull_commits[(REPO, 7)] = [github_commit(REPO, "2" * 40, "Fixes incident #2")]
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
    run_worker(redis_conn)

    title_edit = github_delivery(github, 7, "edited")
    title_edit["changes"] = {"title": {"from": "Tune retries"}}
    post_github(client, "pull_request", title_edit)
    run_worker(redis_conn)
    assert commit_calls(fake_api, "/pulls/7/commits") == []
    assert store.links(store.get_incident("github", REPO, 2)) == []

    base_edit = github_delivery(github, 7, "edited")
    base_edit["changes"] = {"base": {"ref": {"from": "develop"},
                                     "sha": {"from": "4b0f3b9fd582b071652ccfccd10bfc8c143cff96"}}}
    post_github(client, "pull_request", base_edit)
    run_worker(redis_conn)
    assert len(commit_calls(fake_api, "/pulls/7/commits")) == 1
    assert [link.number for link in store.links(store.get_incident("github", REPO, 2))] == [7]
