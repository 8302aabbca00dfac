"""Declaring an incident end to end: signed webhook -> queue -> worker -> handlers -> forge API calls."""
from __future__ import annotations

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from incidents.model import Severity, Status
from incidents.summary import BOT_MARKER, SUMMARY_MARKER
from tests.fakes.github import expect_github_issue_edits, github_repo_config
from tests.fakes.gitlab import expect_gitlab_issue_edits, gitlab_repo_config
from tests.support import (
    BOT_LOGIN,
    GITHUB_API,
    GITHUB_REST,
    GITLAB_URL,
    load_fixture,
    post_github,
    post_gitlab,
    request_json,
    run_worker,
    sent,
)
from worker.queue import deliveries_queue

GH_ISSUE = f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/1"
GL_ISSUE = f"{GITLAB_URL}/api/v4/projects/gitlabhq%2Fgitlab-test/issues/23"
INCIDENT_LABEL = {"id": 1, "node_id": "LA_1", "url": f"{GITHUB_API}/repos/Codertocat/Hello-World/labels/incident",
                  "name": "incident", "color": "d73a4a", "default": False, "description": ""}


def github_issue(action="opened", labels=("incident",), **changes):
    payload = load_fixture("github", f"issues__{action}")
    payload["issue"]["labels"] = [dict(INCIDENT_LABEL, name=name) for name in labels]
    payload["issue"].update(changes)
    return payload


def gitlab_issue(action="open", labels=("incident",)):
    payload = load_fixture("gitlab", f"issue__{action}")
    template = payload["labels"][0]
    payload["labels"] = [dict(template, title=name) for name in labels]
    payload["object_attributes"]["labels"] = payload["labels"]
    return payload


def github_comment_json(comment_id, body):
    """A comment as the REST API returns it: the webhook fixture's comment object, with our id and body."""
    comment = load_fixture("github", "issue_comment__created")["comment"]
    comment.update(id=comment_id, body=body,
                   url=f"{GITHUB_API}/repos/Codertocat/Hello-World/issues/comments/{comment_id}")
    comment["user"]["login"] = BOT_LOGIN
    return comment


def calls(api, method=None):
    return [c for c in api.calls if method is None or c.request.method == method]


def declare_on_github(client, redis_conn, api, payload: dict | None = None) -> str:
    """The incident label on a new issue, with every call the bot makes expected; returns the summary."""
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[INCIDENT_LABEL])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", json=github_comment_json(500, "x"), status=201)
    payload = payload or github_issue()
    expect_github_issue_edits(api, payload)
    assert post_github(client, "issues", payload).status_code == 202
    assert run_worker(redis_conn)
    return request_json(calls(api, "POST")[1])["body"]


# ---------------------------------------------------------------- GitHub

def test_github_issue_opened_with_incident_label_becomes_an_incident(client, redis_conn, store, api):
    summary = declare_on_github(client, redis_conn, api)

    assert request_json(calls(api, "POST")[0]) == ["status: investigating", "postmortem: incomplete"]
    assert summary.startswith(SUMMARY_MARKER)
    assert "**Status:** investigating" in summary and "**Commander:** @Codertocat" in summary
    assert "**Severity:** unknown" in summary and "**Next step:**" in summary
    incident = store.get_incident("github", "Codertocat/Hello-World", 1)
    assert incident.status is Status.INVESTIGATING and incident.commander == "Codertocat"
    assert incident.operations_lead == "Codertocat"
    assert incident.reported_at.isoformat() == "2019-05-15T15:20:18+00:00"


def test_github_edit_updates_the_same_summary_comment(client, redis_conn, store, api):
    declare_on_github(client, redis_conn, api)

    api.reset()
    # Someone sets the severity label by hand; the status label is already there.
    # The summary comment's id is stored: it is edited by id, without listing the comments first.
    api.patch(f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/comments/500",
              json=github_comment_json(500, "y"))
    post_github(client, "issues", github_issue(
        "labeled", labels=("incident", "status: investigating", "severity: major-outage", "postmortem: incomplete")))
    run_worker(redis_conn)

    assert [c.request.method for c in api.calls] == ["PATCH"]  # no second comment
    assert "**Severity:** Major outage" in request_json(api.calls[0])["body"]
    assert store.get_incident("github", "Codertocat/Hello-World", 1).severity is Severity.MAJOR_OUTAGE


def test_github_unchanged_edit_writes_nothing(client, redis_conn, store, api):
    declare_on_github(client, redis_conn, api)
    [written] = sent(api, "PATCH", "/issues/1")
    assert "Declared an incident by @Codertocat" in written["body"]  # recorded in the timeline

    api.reset()
    post_github(client, "issues", github_issue("edited", labels=("incident", "status: investigating",
                                                                  "postmortem: incomplete"),
                                               body=written["body"]))
    run_worker(redis_conn)
    # The summary's id is stored: no listing of the comments; nothing written.
    assert [c.request.method for c in api.calls] == []


def test_github_issue_without_incident_label_is_left_alone(client, redis_conn, store, api):
    github_repo_config(api)  # read once: the config may rename the incident label
    post_github(client, "issues", github_issue(labels=("bug",)))
    run_worker(redis_conn)
    assert [c.request.method for c in api.calls] == ["GET"]
    assert store.get_incident("github", "Codertocat/Hello-World", 1) is None


@pytest.mark.parametrize("marker_or_bot", ["marker", "bot"])
def test_a_comment_written_by_the_bot_or_another_bot_makes_no_api_call(client, redis_conn, api, marker_or_bot):
    payload = load_fixture("github", "issue_comment__created")
    payload["issue"]["labels"] = [INCIDENT_LABEL]
    if marker_or_bot == "marker":  # the bot's own summary coming back (by its login: a marker alone is not enough)
        payload["comment"]["body"] = f"{SUMMARY_MARKER}\n### Incident summary"
        payload["sender"]["login"] = payload["comment"]["user"]["login"] = BOT_LOGIN
    else:
        payload["sender"].update(login="dependabot[bot]", type="Bot")
        payload["comment"]["user"].update(login="dependabot[bot]", type="Bot")
    assert post_github(client, "issue_comment", payload).status_code == 202
    run_worker(redis_conn)
    assert len(api.calls) == 0


def test_issue_events_from_the_bot_itself_are_dropped(client, redis_conn, api):
    payload = github_issue("labeled", labels=("incident", "status: investigating"))
    payload["sender"]["login"] = BOT_LOGIN
    post_github(client, "issues", payload)
    run_worker(redis_conn)
    assert len(api.calls) == 0


def test_forge_answering_502_twice_then_200_posts_the_comment_once(client, redis_conn, store, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", json=[INCIDENT_LABEL])
    api.get(f"{GH_ISSUE}/comments", json=[])
    api.post(f"{GH_ISSUE}/comments", status=502, json={"message": "Bad gateway"})
    api.post(f"{GH_ISSUE}/comments", status=502, json={"message": "Bad gateway"})
    api.post(f"{GH_ISSUE}/comments", json=github_comment_json(500, "x"), status=201)
    # Later attempts see the status label already on the issue.
    api.post(f"{GH_ISSUE}/labels", json=[INCIDENT_LABEL])
    api.get(f"{GH_ISSUE}/comments", json=[])

    payload = github_issue()
    expect_github_issue_edits(api, payload)
    post_github(client, "issues", payload)
    run_worker(redis_conn)

    comment_posts = [c for c in api.calls if c.request.method == "POST" and c.request.url.endswith("/comments")]
    assert [c.response.status_code for c in comment_posts] == [502, 502, 201]
    assert len(FailedJobRegistry(queue=deliveries_queue(redis_conn))) == 0
    assert store.get_incident("github", "Codertocat/Hello-World", 1) is not None


def test_rate_limit_retry_waits_as_long_as_the_forge_asks(client, redis_conn, api):
    github_repo_config(api)
    api.post(f"{GH_ISSUE}/labels", status=429, json={"message": "slow down"}, headers={"Retry-After": "120"})
    payload = github_issue()
    expect_github_issue_edits(api, payload)
    post_github(client, "issues", payload, delivery_id="rl-1")
    run_worker(redis_conn)

    registry = ScheduledJobRegistry(queue=deliveries_queue(redis_conn))
    [job_id] = registry.get_job_ids()
    assert job_id.endswith("-rl-1-retry1")
    import time

    wait = registry.get_scheduled_time(job_id).timestamp() - time.time()
    assert 100 < wait <= 121


def test_permanent_failure_lands_in_the_failed_registry_with_its_reason(client, redis_conn, api):
    github_repo_config(api)
    for _ in range(4):  # INCIDENT_DESK_MAX_ATTEMPTS in the test settings
        api.post(f"{GH_ISSUE}/labels", status=503, json={"message": "unavailable"})
    payload = github_issue()
    expect_github_issue_edits(api, payload)
    post_github(client, "issues", payload, delivery_id="gone")
    run_worker(redis_conn)

    failed = FailedJobRegistry(queue=deliveries_queue(redis_conn))
    [job_id] = failed.get_job_ids()
    job = deliveries_queue(redis_conn).fetch_job(job_id)
    assert "TransientForgeError" in job.latest_result().exc_string and "503" in job.latest_result().exc_string


def test_removing_the_label_ends_tracking_with_a_note(client, redis_conn, store, api):
    declare_on_github(client, redis_conn, api)

    api.reset()
    api.post(f"{GH_ISSUE}/comments", json=github_comment_json(501, "x"), status=201)
    payload = load_fixture("github", "issues__unlabeled")
    payload["label"] = INCIDENT_LABEL
    post_github(client, "issues", payload)
    run_worker(redis_conn)

    note = request_json(api.calls[0])["body"]
    assert note.startswith(BOT_MARKER) and "no longer tracked" in note
    assert store.get_incident("github", "Codertocat/Hello-World", 1).tracking is False


# ---------------------------------------------------------------- GitLab

def gitlab_note_json(note_id, body):
    return {"id": note_id, "body": body, "author": {"username": BOT_LOGIN, "id": 9}, "system": False,
            "created_at": "2026-11-20T14:05:00Z", "noteable_type": "Issue", "noteable_iid": 23}


def declare_on_gitlab(client, redis_conn, api) -> None:
    """The incident label on a new GitLab issue, with every call the bot makes expected."""
    gitlab_repo_config(api)
    api.put(GL_ISSUE, json={"iid": 23})
    api.get(f"{GL_ISSUE}/notes", json=[])
    api.post(f"{GL_ISSUE}/notes", json=gitlab_note_json(700, "x"), status=201)
    payload = gitlab_issue()
    expect_gitlab_issue_edits(api, payload)
    assert post_gitlab(client, "Issue Hook", payload).status_code == 202
    run_worker(redis_conn)


def test_gitlab_issue_with_incident_label_becomes_an_incident(client, redis_conn, store, api):
    declare_on_gitlab(client, redis_conn, api)

    assert {"add_labels": "status::investigating,postmortem::incomplete"} in sent(api, "PUT", "/issues/23")
    [summary] = [body["body"] for body in sent(api, "POST", "/issues/23/notes")]
    assert summary.startswith(SUMMARY_MARKER) and "**Commander:** @root" in summary
    assert "`/desk status identified" in summary  # GitLab users are shown the /desk form
    incident = store.get_incident("gitlab", "gitlabhq/gitlab-test", 23)
    assert incident.commander == "root" and incident.status is Status.INVESTIGATING


def test_gitlab_edit_updates_the_same_note(client, redis_conn, store, api):
    declare_on_gitlab(client, redis_conn, api)
    [first] = [body["body"] for body in sent(api, "POST", "/issues/23/notes")]
    [written] = [body["description"] for body in sent(api, "PUT", "/issues/23") if "description" in body]

    api.reset()
    api.put(f"{GL_ISSUE}/notes/700", json=gitlab_note_json(700, "y"))
    edited = gitlab_issue(
        "update", labels=("incident", "status::identified", "severity::partial-outage", "postmortem::incomplete"))
    edited["object_attributes"]["description"] = written
    expect_gitlab_issue_edits(api, edited)
    post_gitlab(client, "Issue Hook", edited)
    run_worker(redis_conn)

    [updated] = [body["body"] for body in sent(api, "PUT", "/notes/700")]  # the same note, no second one
    assert sent(api, "POST", "/notes") == []
    [timeline] = [body["description"] for body in sent(api, "PUT", "/issues/23")]
    assert "Status: identified (label set by @root)" in timeline
    assert "**Status:** identified" in updated and "**Severity:** Partial outage" in updated
    assert store.get_incident("gitlab", "gitlabhq/gitlab-test", 23).status is Status.IDENTIFIED


def test_gitlab_issue_of_type_incident_counts_without_the_label(client, redis_conn, store, api):
    gitlab_repo_config(api)
    api.put(GL_ISSUE, json={"iid": 23})
    api.get(f"{GL_ISSUE}/notes", json=[])
    api.post(f"{GL_ISSUE}/notes", json=gitlab_note_json(700, "x"), status=201)
    payload = gitlab_issue(labels=("API",))
    payload["object_attributes"]["type"] = "Incident"
    api.post(f"{GITLAB_URL}/api/graphql", json={"data": {"project": {"issue": {"alertManagementAlerts": {
        "nodes": []}}}}})  # no alert of GitLab's opened it (issue 17 item 6)
    expect_gitlab_issue_edits(api, payload)
    post_gitlab(client, "Issue Hook", payload)
    run_worker(redis_conn)
    assert store.get_incident("gitlab", "gitlabhq/gitlab-test", 23) is not None


def test_gitlab_bot_note_makes_no_api_call(client, redis_conn, api):
    payload = load_fixture("gitlab", "note__issue")
    payload["object_attributes"]["note"] = f"{BOT_MARKER}\nhello"
    payload["user"]["username"] = BOT_LOGIN
    post_gitlab(client, "Note Hook", payload)
    run_worker(redis_conn)
    assert len(api.calls) == 0


def test_gitlab_rate_limit_reset_header_is_honoured(client, redis_conn, api):
    import time

    reset = int(time.time()) + 300
    gitlab_repo_config(api)
    payload = gitlab_issue()
    expect_gitlab_issue_edits(api, payload)  # the timeline write goes through; the label write is limited
    api.put(GL_ISSUE, status=429, json={"message": "429 Too Many Requests"},
            headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)})
    post_gitlab(client, "Issue Hook", payload, delivery_id="gl-rl")
    run_worker(redis_conn)
    registry = ScheduledJobRegistry(queue=deliveries_queue(redis_conn))
    [job_id] = registry.get_job_ids()
    assert abs(registry.get_scheduled_time(job_id).timestamp() - reset) < 5
