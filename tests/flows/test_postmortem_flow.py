"""Issue 4 in the bot: the postmortem checked on every open/edit, shown in the summary, and labelled."""
from __future__ import annotations

from pathlib import Path

from incidents.model import Severity
from incidents.summary import BOT_MARKER
from tests.fakes.github import expect_github_issue_edits, github_repo_config
from tests.fakes.gitlab import expect_gitlab_issue_edits, gitlab_repo_config
from tests.support import (
    BOT_LOGIN,
    GITHUB_REST,
    GITLAB_URL,
    load_fixture,
    post_github,
    post_gitlab,
    run_worker,
    sent,
)

DOCUMENTS = Path(__file__).parent.parent / "documents"
COMPLETE = (DOCUMENTS / "filled-timeline-rca-actions.md").read_text()
WITHOUT_ACTIONS = COMPLETE[:COMPLETE.index("## Actions")]
GH_ISSUE = f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/1"
GL_ISSUE = f"{GITLAB_URL}/api/v4/projects/gitlabhq%2Fgitlab-test/issues/23"


def github_issue(action, body, labels):
    payload = load_fixture("github", f"issues__{action}")
    payload["issue"]["labels"] = [{"id": n, "name": name} for n, name in enumerate(labels)]
    payload["issue"]["body"] = body
    return payload


def github_comment(comment_id, body):
    comment = load_fixture("github", "issue_comment__created")["comment"]
    comment.update(id=comment_id, body=body,
                   url=f"https://api.github.com/repos/Codertocat/Hello-World/issues/comments/{comment_id}")
    comment["user"]["login"] = BOT_LOGIN  # the bot's own comment: only those count as its summary
    return comment


def gitlab_issue(action, body, labels):
    payload = load_fixture("gitlab", f"issue__{action}")
    payload["labels"] = [dict(payload["labels"][0], title=name) for name in labels]
    payload["object_attributes"]["description"] = body
    if action == "update":
        payload["changes"] = {"description": {"previous": "", "current": body}}
    return payload


def opened_on_github(client, redis_conn, api, body):
    """An incident opened with `body`; returns (summary, body as the bot rewrote it)."""
    payload = github_issue("opened", body, ["incident"])
    expect_github_issue_edits(api, payload)
    post_github(client, "issues", payload)
    run_worker(redis_conn)
    [summary] = [b["body"] for b in sent(api, "POST", "/issues/1/comments")
                 if b["body"].startswith("<!-- incident-desk:summary")]
    [written] = sent(api, "PATCH", "/issues/1")
    return summary, written["body"]


def test_github_section_going_missing_flips_the_label_and_the_checklist_in_one_comment(client, redis_conn, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    summary, written = opened_on_github(client, redis_conn, api, COMPLETE)
    assert sent(api, "POST", "/issues/1/labels") == [["status: investigating", "postmortem: complete"]]
    assert "missing-section" not in summary and "timeline-missing-timezone" in summary  # a warning only

    api.reset()
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.delete(f"{GH_ISSUE}/labels/postmortem%3A%20complete", json=[])
    api.patch(f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/comments/900", json=github_comment(900, "y"))
    labels = ["incident", "status: investigating", "postmortem: complete"]
    post_github(client, "issues", github_issue("edited", written[:written.index("## Actions")], labels))
    run_worker(redis_conn)

    assert sent(api, "POST", "/issues/1/labels") == [["postmortem: incomplete"]]
    [updated] = [b["body"] for b in sent(api, "PATCH", "/issues/comments/900")]
    assert "**Postmortem to-do:**" in updated
    assert "- [ ] **error** `missing-section` (Actions)" in updated
    assert updated.index("missing-section") < updated.index("timeline-missing-timezone")  # errors first


def test_github_edit_the_checks_do_not_see_makes_no_write(client, redis_conn, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    summary, written = opened_on_github(client, redis_conn, api, COMPLETE)

    api.reset()
    reworded = written.replace("under normal afternoon load", "under the usual afternoon load")
    post_github(client, "issues", github_issue("edited", reworded, ["incident", "status: investigating",
                                                                     "postmortem: complete"]))
    run_worker(redis_conn)
    assert [c.request.method for c in api.calls] == []  # the summary's id is stored: no listing of the comments


def test_github_issue_form_severity_and_components_become_labels(client, redis_conn, store, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    opened_on_github(client, redis_conn, api, (DOCUMENTS / "github-issue-form.md").read_text())
    assert sent(api, "POST", "/issues/1/labels") == [["status: investigating", "postmortem: incomplete",
                                                     "severity: partial-outage", "component: mailing",
                                                     "component: platform"]]
    incident = store.get_incident("github", "Codertocat/Hello-World", 1)
    assert incident.severity is Severity.PARTIAL_OUTAGE and incident.components == ("mailing", "platform")


def test_invalid_config_gets_one_comment_per_version_and_defaults_apply(client, redis_conn, api):
    github_repo_config(api, text="profile: full\nlabels:\n  incident: 5\nreminders:\n  interval: often\n")
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    api.post(f"{GH_ISSUE}/comments", json=github_comment(901, "x"), status=201)
    summary, written = opened_on_github(client, redis_conn, api, COMPLETE)
    [warning] = [b["body"] for b in sent(api, "POST", "/issues/1/comments") if b["body"].startswith(BOT_MARKER)]
    assert ".github/incident-desk.yml" in warning
    assert "`labels.incident`" in warning and "`reminders.interval`" in warning and "often" in warning
    # profile: full was valid and applies: the timeline-rca-actions document misses its sections.
    assert "missing-section" in summary

    api.reset()
    post_github(client, "issues", github_issue("edited", written + "\n", ["incident", "status: investigating",
                                                                        "postmortem: incomplete"]))
    run_worker(redis_conn)
    assert [c.request.method for c in api.calls] == []  # no second warning, nothing rewritten, nothing listed


def gitlab_note(note_id, body):
    return {"id": note_id, "body": body, "author": {"username": "incident-desk-bot", "id": 9}, "system": False,
            "created_at": "2026-11-20T14:05:00Z", "noteable_type": "Issue", "noteable_iid": 23}


def test_gitlab_section_going_missing_flips_the_scoped_label(client, redis_conn, api):
    gitlab_repo_config(api)
    api.get(f"{GL_ISSUE}/notes", json=[])
    api.post(f"{GL_ISSUE}/notes", json=gitlab_note(700, "x"), status=201)
    payload = gitlab_issue("open", COMPLETE, ["incident"])
    expect_gitlab_issue_edits(api, payload)
    post_gitlab(client, "Issue Hook", payload)
    run_worker(redis_conn)
    assert {"add_labels": "status::investigating,postmortem::complete"} in sent(api, "PUT", "/issues/23")
    [summary] = [b["body"] for b in sent(api, "POST", "/notes")]
    [written] = [b["description"] for b in sent(api, "PUT", "/issues/23") if "description" in b]

    api.reset()
    api.put(GL_ISSUE, json={"iid": 23})
    api.put(f"{GL_ISSUE}/notes/700", json=gitlab_note(700, "y"))
    post_gitlab(client, "Issue Hook", gitlab_issue(
        "update", written[:written.index("## Actions")], ["incident", "status::investigating", "postmortem::complete"]))
    run_worker(redis_conn)
    assert sent(api, "PUT", "/issues/23") == [{"add_labels": "postmortem::incomplete",  # one update, both
                                               "remove_labels": "postmortem::complete"}]
    assert "`missing-section` (Actions)" in sent(api, "PUT", "/notes/700")[0]["body"]
