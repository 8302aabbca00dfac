"""Issue 4 in the bot: the postmortem checked on every open/edit, shown in the summary, and labelled."""
from __future__ import annotations

from pathlib import Path

from conftest import (GITHUB_REST, GITLAB_URL, github_repo_config, gitlab_repo_config, load_fixture, post_github,
                      post_gitlab, request_json, run_worker)
from incidents.model import Severity
from incidents.summary import BOT_MARKER

DOCUMENTS = Path(__file__).parent / "documents"
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
    return comment


def gitlab_issue(action, body, labels):
    payload = load_fixture("gitlab", f"issue__{action}")
    payload["labels"] = [dict(payload["labels"][0], title=name) for name in labels]
    payload["object_attributes"]["description"] = body
    if action == "update":
        payload["changes"] = {"description": {"previous": "", "current": body}}
    return payload


def test_github_section_going_missing_flips_the_label_and_the_checklist_in_one_comment(client, redis_conn, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    post_github(client, "issues", github_issue("opened", COMPLETE, ["incident"]))
    run_worker(redis_conn)
    assert request_json(api.calls[1]) == ["status: investigating", "postmortem: complete"]
    summary = request_json(api.calls[3])["body"]
    assert "missing-section" not in summary and "timeline-missing-timezone" in summary  # a warning only

    api.reset()
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.delete(f"{GH_ISSUE}/labels/postmortem%3A%20complete", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[github_comment(900, summary)])
    api.patch(f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/comments/900", json=github_comment(900, "y"))
    labels = ["incident", "status: investigating", "postmortem: complete"]
    post_github(client, "issues", github_issue("edited", WITHOUT_ACTIONS, labels))
    run_worker(redis_conn)

    assert request_json(api.calls[0]) == ["postmortem: incomplete"]
    updated = request_json(api.calls[3])["body"]
    assert "**Postmortem to-do:**" in updated
    assert "- [ ] **error** `missing-section` (Actions)" in updated
    assert updated.index("missing-section") < updated.index("timeline-missing-timezone")  # errors first


def test_github_edit_the_checks_do_not_see_makes_no_write(client, redis_conn, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    post_github(client, "issues", github_issue("opened", COMPLETE, ["incident"]))
    run_worker(redis_conn)
    summary = request_json(api.calls[3])["body"]

    api.reset()
    api.get(f"{GH_ISSUE}/comments", json=[github_comment(900, summary)])
    reworded = COMPLETE.replace("under normal afternoon load", "under the usual afternoon load")
    post_github(client, "issues", github_issue("edited", reworded, ["incident", "status: investigating",
                                                                     "postmortem: complete"]))
    run_worker(redis_conn)
    assert [c.request.method for c in api.calls] == ["GET"]


def test_github_issue_form_severity_and_components_become_labels(client, redis_conn, store, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    body = (DOCUMENTS / "github-issue-form.md").read_text()
    post_github(client, "issues", github_issue("opened", body, ["incident"]))
    run_worker(redis_conn)
    assert request_json(api.calls[1]) == ["status: investigating", "postmortem: incomplete",
                                          "severity: partial-outage", "component: mailing", "component: platform"]
    incident = store.get_incident("github", "Codertocat/Hello-World", 1)
    assert incident.severity is Severity.PARTIAL_OUTAGE and incident.components == ("mailing", "platform")


def test_invalid_config_gets_one_comment_per_version_and_defaults_apply(client, redis_conn, api):
    github_repo_config(api, text="profile: full\nlabels:\n  incident: 5\nreminders:\n  interval: often\n")
    api.post(f"{GH_ISSUE}/labels", json=[])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment(900, "x"), status=201)
    api.post(f"{GH_ISSUE}/comments", json=github_comment(901, "x"), status=201)
    post_github(client, "issues", github_issue("opened", COMPLETE, ["incident"]))
    run_worker(redis_conn)
    warning = request_json(api.calls[4])["body"]
    assert warning.startswith(BOT_MARKER) and ".github/incident-desk.yml" in warning
    assert "`labels.incident`" in warning and "`reminders.interval`" in warning and "often" in warning
    # profile: full was valid and applies: the timeline-rca-actions document misses its sections.
    summary = request_json(api.calls[3])["body"]
    assert "missing-section" in summary

    api.reset()
    api.get(f"{GH_ISSUE}/comments", json=[github_comment(900, summary)])
    post_github(client, "issues", github_issue("edited", COMPLETE + "\n", ["incident", "status: investigating",
                                                                            "postmortem: incomplete"]))
    run_worker(redis_conn)
    assert [c.request.method for c in api.calls] == ["GET"]  # no second warning, nothing rewritten


def gitlab_note(note_id, body):
    return {"id": note_id, "body": body, "author": {"username": "incident-desk-bot", "id": 9}, "system": False,
            "created_at": "2026-11-20T14:05:00Z", "noteable_type": "Issue", "noteable_iid": 23}


def test_gitlab_section_going_missing_flips_the_scoped_label(client, redis_conn, api):
    gitlab_repo_config(api)
    api.put(GL_ISSUE, json={"iid": 23})
    api.get(f"{GL_ISSUE}/notes", json=[])
    api.post(f"{GL_ISSUE}/notes", json=gitlab_note(700, "x"), status=201)
    post_gitlab(client, "Issue Hook", gitlab_issue("open", COMPLETE, ["incident"]))
    run_worker(redis_conn)
    assert request_json(api.calls[1]) == {"add_labels": "status::investigating,postmortem::complete"}
    summary = request_json(api.calls[3])["body"]

    api.reset()
    api.put(GL_ISSUE, json={"iid": 23})
    api.put(GL_ISSUE, json={"iid": 23})
    api.get(f"{GL_ISSUE}/notes", json=[gitlab_note(700, summary)])
    api.put(f"{GL_ISSUE}/notes/700", json=gitlab_note(700, "y"))
    post_gitlab(client, "Issue Hook", gitlab_issue(
        "update", WITHOUT_ACTIONS, ["incident", "status::investigating", "postmortem::complete"]))
    run_worker(redis_conn)
    assert request_json(api.calls[0]) == {"add_labels": "postmortem::incomplete"}
    assert request_json(api.calls[1]) == {"remove_labels": "postmortem::complete"}
    assert "`missing-section` (Actions)" in request_json(api.calls[3])["body"]
