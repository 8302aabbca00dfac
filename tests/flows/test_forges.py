"""Adapter details that the end-to-end tests do not reach: App auth, permissions, files, statuses."""
from __future__ import annotations

import base64
import time
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from forges import build_forge
from forges.errors import ForgeError, TransientForgeError
from handlers.blog import BLOG_MARKER
from incidents.linking import LINK_MARKER
from incidents.summary import BOT_MARKER, SUMMARY_MARKER
from tests.fakes.github import FakeGitHub, expect_github_issue_edits, github_permission_json, github_repo_config
from tests.fakes.gitlab import FakeGitLab
from tests.support import (
    BOT_LOGIN,
    GITHUB_REST,
    GITLAB_URL,
    load_fixture,
    post_github,
    post_gitlab,
    request_json,
    run_worker,
)

GL_PROJECT = f"{GITLAB_URL}/api/v4/projects/group%2Fproject"


@pytest.fixture
def app_settings(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return replace(settings, github_app_id="12345", github_private_key=pem, github_token=None)


def test_github_app_installation_token_is_fetched_once_and_reused(app_settings, api):
    api.post(f"{GITHUB_REST}/app/installations/777/access_tokens", status=201,
             json={"token": "ghs_installation", "expires_at": "2099-01-01T00:00:00Z"})
    api.post(f"{GITHUB_REST}/repos/o/r/issues/1/labels", json=[])
    api.post(f"{GITHUB_REST}/repos/o/r/issues/2/labels", json=[])
    build_forge("github", app_settings, installation_id=777).add_labels("o/r", 1, ["a"])
    build_forge("github", app_settings, installation_id=777).add_labels("o/r", 2, ["b"])
    token_calls = [c for c in api.calls if c.request.url.endswith("/access_tokens")]
    assert len(token_calls) == 1
    assert token_calls[0].request.headers["Authorization"].startswith("Bearer ")  # the App's JWT
    assert api.calls[1].request.headers["Authorization"] == "token ghs_installation"


def test_github_app_delivery_uses_its_installation(app_settings, client, redis_conn, api, monkeypatch):
    monkeypatch.setenv("GITHUB_APP_ID", app_settings.github_app_id)
    monkeypatch.setenv("GITHUB_PRIVATE_KEY", app_settings.github_private_key)
    monkeypatch.delenv("GITHUB_TOKEN")
    api.post(f"{GITHUB_REST}/app/installations/4242/access_tokens", status=201,
             json={"token": "ghs_4242", "expires_at": "2099-01-01T00:00:00Z"})
    github_repo_config(api)
    api.post(f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/1/labels", json=[])
    api.get(f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/1/comments", json=[])
    comment = load_fixture("github", "issue_comment__created")["comment"]
    api.post(f"{GITHUB_REST}/repos/Codertocat/Hello-World/issues/1/comments", json=comment, status=201)
    payload = load_fixture("github", "issues__opened")
    payload["issue"]["labels"] = [{"id": 1, "name": "incident"}]
    payload["installation"] = {"id": 4242, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg=="}
    expect_github_issue_edits(api, payload)
    post_github(client, "issues", payload)
    run_worker(redis_conn)
    assert all(c.request.headers["Authorization"] == "token ghs_4242" for c in api.calls[1:])


def test_github_without_credentials_is_a_clear_error(settings):
    with pytest.raises(ForgeError, match="GITHUB_TOKEN"):
        build_forge("github", replace(settings, github_token=None))


@pytest.mark.parametrize("role", ["admin", "maintain", "write", "triage", "read"])
def test_github_permission_is_the_role_not_the_legacy_field(settings, api, role):
    """issue 13 item 17: GitHub's legacy `permission` says write for Maintain and read for Triage."""
    api.get(f"{GITHUB_REST}/repos/o/r/collaborators/alice/permission", json=github_permission_json("alice", role))
    assert build_forge("github", settings).permission("o/r", "alice") == role


def test_github_custom_role_counts_as_its_base_role(settings, api):
    """issue 13 item 17: a custom role's name is its own; its permissions hash tells its base role."""
    api.get(f"{GITHUB_REST}/repos/o/r/collaborators/alice/permission",
            json=github_permission_json("alice", "Security Engineer", base_role="maintain"))
    assert build_forge("github", settings).permission("o/r", "alice") == "maintain"


def test_github_non_collaborator_has_no_permission(settings, api):
    api.get(f"{GITHUB_REST}/repos/o/r/collaborators/eve/permission", status=404, json={"message": "Not Found"})
    assert build_forge("github", settings).permission("o/r", "eve") == "none"


def test_a_repository_the_bot_cannot_see_gives_no_permission(settings, api):
    """issue 13 item 2: a command naming a repository outside the installation is refused, not crashed."""
    api.get(f"{GITHUB_REST}/repos/secret/vault/collaborators/eve/permission", status=403,
            json={"message": "Resource not accessible by integration"})
    api.get(f"{GITLAB_URL}/api/v4/users", json=[{"id": 7, "username": "eve"}])
    api.get(f"{GITLAB_URL}/api/v4/projects/secret%2Fvault/members/all/7", status=403, json={"message": "403 Forbidden"})
    assert build_forge("github", settings).permission("secret/vault", "eve") == "none"
    assert build_forge("gitlab", settings).permission("secret/vault", "eve") == "none"


def test_github_read_file_and_missing_file(settings, api):
    content = base64.b64encode(b"profile: full\n").decode()
    api.get(f"{GITHUB_REST}/repos/o/r/contents/.github/incident-desk.yml",
            json={"type": "file", "encoding": "base64", "content": content, "name": "incident-desk.yml",
                  "path": ".github/incident-desk.yml", "sha": "abc", "size": 14})
    api.get(f"{GITHUB_REST}/repos/o/r/contents/.github/missing.yml", status=404, json={"message": "Not Found"})
    forge = build_forge("github", settings)
    assert forge.read_file("o/r", ".github/incident-desk.yml") == "profile: full\n"
    assert forge.read_file("o/r", ".github/missing.yml") is None


def test_github_secondary_rate_limit_is_transient_with_its_wait(settings, api):
    api.post(f"{GITHUB_REST}/repos/o/r/issues/1/comments", status=403,
             json={"message": "You have exceeded a secondary rate limit"}, headers={"Retry-After": "60"})
    with pytest.raises(TransientForgeError) as raised:
        build_forge("github", settings).create_comment("o/r", 1, "hello")
    assert raised.value.retry_after == 60


@pytest.mark.parametrize("level, permission", [(50, "admin"), (40, "maintain"), (30, "write"), (20, "triage"),
                                               (10, "read")])
def test_gitlab_access_levels_map_to_permissions(settings, api, level, permission):
    api.get(f"{GITLAB_URL}/api/v4/users", json=[{"id": 7, "username": "alice"}])
    api.get(f"{GL_PROJECT}/members/all/7", json={"id": 7, "username": "alice", "access_level": level})
    assert build_forge("gitlab", settings).permission("group/project", "alice") == permission


def test_gitlab_non_member_has_no_permission(settings, api):
    api.get(f"{GITLAB_URL}/api/v4/users", json=[{"id": 7, "username": "alice"}])
    api.get(f"{GL_PROJECT}/members/all/7", status=404, json={"message": "404 Not found"})
    assert build_forge("gitlab", settings).permission("group/project", "alice") == "none"


def test_gitlab_read_file_from_the_default_branch(settings, api):
    api.get(f"{GL_PROJECT}/repository/files/.gitlab%2Fincident-desk.yml/raw", body=b"profile: full\n")
    api.get(f"{GL_PROJECT}/repository/files/.gitlab%2Fnone.yml/raw", status=404, json={"message": "404"})
    forge = build_forge("gitlab", settings)
    assert forge.read_file("group/project", ".gitlab/incident-desk.yml") == "profile: full\n"
    assert "ref=HEAD" in api.calls[0].request.url
    assert forge.read_file("group/project", ".gitlab/none.yml") is None


def test_gitlab_commit_status_uses_gitlab_state_names(settings, api):
    api.post(f"{GL_PROJECT}/statuses/abc123", json={"id": 1, "status": "failed"}, status=201)
    build_forge("gitlab", settings).set_commit_status("group/project", "abc123", "failure",
                                                       "incident-desk/postmortem", "2 errors")
    assert request_json(api.calls[0]) == {"state": "failed", "name": "incident-desk/postmortem",
                                          "description": "2 errors"}


def test_gitlab_server_error_is_transient(settings, api):
    api.put(f"{GL_PROJECT}/issues/3", status=502, json={"message": "502"})
    with pytest.raises(TransientForgeError):
        build_forge("gitlab", settings).add_labels("group/project", 3, ["status::identified"])


def test_gitlab_without_token_is_a_clear_error(settings):
    with pytest.raises(ForgeError, match="GITLAB_TOKEN"):
        build_forge("gitlab", replace(settings, gitlab_token=None))


def test_github_app_publishes_a_neutral_check_run(app_settings, api):
    api.post(f"{GITHUB_REST}/app/installations/5/access_tokens", status=201,
             json={"token": "ghs_5", "expires_at": "2099-01-01T00:00:00Z"})
    api.post(f"{GITHUB_REST}/repos/o/r/check-runs", status=201, json={"id": 1, "name": "incident-desk/postmortem"})
    build_forge("github", app_settings, installation_id=5).publish_check(
        "o/r", "b" * 40, "incident-desk/postmortem", "neutral", "Postmortem due once resolved", "No findings.")
    body = request_json(api.calls[1])
    assert body["name"] == "incident-desk/postmortem" and body["head_sha"] == "b" * 40
    assert (body["status"], body["conclusion"]) == ("completed", "neutral")
    assert body["output"] == {"title": "Postmortem due once resolved", "summary": "No findings."}


def test_github_token_publishes_a_commit_status_instead(settings, api):
    api.post(f"{GITHUB_REST}/repos/o/r/statuses/{'b' * 40}", status=201, json={"id": 1})
    build_forge("github", settings).publish_check("o/r", "b" * 40, "incident-desk/postmortem", "failure",
                                                  "2 error(s)", "…")
    assert request_json(api.calls[0]) == {"state": "failure", "context": "incident-desk/postmortem",
                                          "description": "2 error(s)"}


# ---------------------------------------------------------------- marked comments are the bot's own

REPO, PROJECT = "Codertocat/Hello-World", "gitlabhq/gitlab-test"
MARKERS = [SUMMARY_MARKER, BLOG_MARKER, LINK_MARKER, BOT_MARKER]


@pytest.mark.parametrize("marker", MARKERS)
def test_a_persons_marked_comment_is_not_the_bots(settings, fake_api, marker):
    """issue 13 item 3: a marker written by a person finds nothing and is never edited (GitHub and GitLab)."""
    github, gitlab = FakeGitHub(fake_api), FakeGitLab(fake_api)
    github.add_issue(REPO, 1)
    github.comments[(REPO, 1)].append({"id": 1, "body": f"{marker}\nmine now", "author": "mallory"})
    gitlab.add_issue(PROJECT, 1)
    gitlab.notes[(PROJECT, 1)].append({"id": 1, "body": f"{marker}\nmine now", "author": "mallory"})
    for forge, comments in ((build_forge("github", settings), github.comments[(REPO, 1)]),
                            (build_forge("gitlab", settings), gitlab.notes[(PROJECT, 1)])):
        repository = REPO if forge.platform == "github" else PROJECT
        assert forge.find_marked_comment(repository, 1, marker) is None
        forge.upsert_marked_comment(repository, 1, marker, f"{marker}\nthe bot's")
        assert comments[0]["body"] == f"{marker}\nmine now"
        assert [(c["author"], c["body"]) for c in comments[1:]] == [(BOT_LOGIN, f"{marker}\nthe bot's")]
        assert forge.find_marked_comment(repository, 1, marker).id == comments[1]["id"]


def test_github_summary_is_not_hijacked_by_a_persons_marked_comment(client, redis_conn, store, fake_api):
    """issue 13 item 3: the bot writes its own summary and leaves mallory's comment alone."""
    github = FakeGitHub(fake_api)
    github.add_issue(REPO, 1, "db is down", labels=["incident"])
    hijack = {"id": 1, "body": f"{SUMMARY_MARKER}\n**Commander:** @mallory", "author": "mallory"}
    github.comments[(REPO, 1)].append(dict(hijack))
    post_github(client, "issues", github.issues_event(REPO, 1, "labeled", "alice"))
    run_worker(redis_conn)
    [hijack, summary] = github.comments[(REPO, 1)]
    assert hijack["body"] == f"{SUMMARY_MARKER}\n**Commander:** @mallory"
    assert summary["author"] == BOT_LOGIN and summary["body"].startswith(SUMMARY_MARKER)
    assert "### Incident" in summary["body"] or "**Status:**" in summary["body"]


def test_gitlab_summary_is_not_hijacked_by_a_persons_marked_note(client, redis_conn, store, fake_api):
    """issue 13 item 3, on GitLab notes."""
    gitlab = FakeGitLab(fake_api)
    gitlab.add_issue(PROJECT, 1, "db is down", labels=["incident"])
    gitlab.notes[(PROJECT, 1)].append({"id": 1, "body": f"{SUMMARY_MARKER}\nmine now", "author": "mallory"})
    post_gitlab(client, "Issue Hook", gitlab.issue_event(PROJECT, 1, "open", "alice"))
    run_worker(redis_conn)
    [hijack, summary] = gitlab.notes[(PROJECT, 1)]
    assert hijack["body"] == f"{SUMMARY_MARKER}\nmine now"
    assert summary["author"] == BOT_LOGIN and "**Status:**" in summary["body"]


def test_a_persons_comment_starting_with_the_reply_marker_still_runs_its_commands(client, redis_conn, fake_api):
    """issue 13 item 3: only the bot's replies are the bot's; a person's marked comment is not dropped."""
    github = FakeGitHub(fake_api)
    github.add_issue(REPO, 1)
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", f"{BOT_MARKER}\n/help"))
    run_worker(redis_conn)
    [reply] = github.bot_comments(REPO, 1)
    assert "the commands:" in reply


class _GitHubWhereAPersonEdits(FakeGitHub):
    """A FakeGitHub where a person saves an edit `delay` seconds after the bot's first read of the body.

    The edit lands on whatever the body is at that moment (as a person editing the latest text would),
    so it can only be lost when the bot writes a body it computed before the edit."""

    def person_edits(self, repo, number, note, delay):
        self.key, self.note, self.delay, self.due = (repo, number), note, delay, None

    def _apply_when_due(self):
        if getattr(self, "due", None) is not None and self.note and time.monotonic() >= self.due:
            self.issues[self.key]["body"] += self.note
            self.note = ""

    def _get_issue(self, body, repo, n):
        self._apply_when_due()
        if getattr(self, "note", ""):
            self.due = self.due or time.monotonic() + self.delay
        return super()._get_issue(body, repo, n)

    def _edit_issue(self, body, repo, n):
        self._apply_when_due()
        return super()._edit_issue(body, repo, n)

    def final_body(self) -> str:
        time.sleep(max(0.0, (self.due or 0) - time.monotonic()))
        self._apply_when_due()
        return self.issues[self.key]["body"]


def test_github_body_edit_keeps_a_person_s_edit_made_while_the_write_throttle_waits(settings, fake_api):
    """issue 13 item 12: the bot re-reads the body after waiting for the write throttle, not before it."""
    repo = "Codertocat/Hello-World"
    github = _GitHubWhereAPersonEdits(fake_api)
    github.add_issue(repo, 1, body="## Timeline\n\n- 14:00 first\n")
    forge = build_forge("github", replace(settings, github_write_interval=0.5, github_write_burst=1))
    forge.add_labels(repo, 1, ["incident"])  # a write just before spends the budget of one: the next waits about 0.5 s
    github.person_edits(repo, 1, "\nNote by a person.\n", delay=0.25)

    forge.edit_body(repo, 1, lambda body: body.replace("- 14:00 first\n", "- 14:00 first\n- 14:05 bot entry\n"))

    body = github.final_body()
    assert "- 14:05 bot entry" in body
    assert "Note by a person." in body


def test_github_lists_issues_in_one_call_without_reading_each_again(settings, fake_api):
    """Telling pull requests from issues must not make PyGithub fetch every listed issue (`sync`, the retry's
    look for an issue whose answer was lost)."""
    github = FakeGitHub(fake_api)
    for number in (1, 2, 3):
        github.add_issue("o/r", number, f"Incident {number}", labels=["incident"])
    before = len(fake_api.calls)
    issues = build_forge("github", settings).list_issues("o/r", "incident")
    assert sorted(issue.number for issue in issues) == [1, 2, 3]
    assert [c.request.method for c in fake_api.calls[before:]] == ["GET"]
