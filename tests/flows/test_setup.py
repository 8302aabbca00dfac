"""`incident-desk setup github` (GitHub's App manifest flow) and `setup gitlab` (the project's webhook), issue 19.

GitHub's conversion endpoint and GitLab's hooks API are faked with `responses`; the local page and its callback
are real HTTP on 127.0.0.1, as a browser would use them.
"""
from __future__ import annotations

import html
import json
import re
import stat
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from incident_desk.cli import cli
from incident_desk.cli.setup_github import EVENTS, PERMISSIONS, manifest
from incident_desk.settings import Settings, read_settings_file
from tests.fakes.gitlab import FakeGitLab
from tests.support import GITHUB_API, GITLAB_URL, load_fixture, post_github
from worker.embedded_redis import free_port

CODE = "a180b1a3d263c81bc6441d7b990bae27d4c10679"
# GitHub's "Registering a GitHub App from a manifest": every parameter a manifest may hold, and the hook's.
MANIFEST_PARAMETERS = {"name", "url", "hook_attributes", "redirect_url", "callback_urls", "setup_url",
                       "description", "public", "default_events", "default_permissions",
                       "request_oauth_on_install", "setup_on_update"}
HOOK_ATTRIBUTES = {"url", "active"}
# GitHub App permission names (REST "app-permissions") this app may ask for, and the levels a manifest takes.
APP_PERMISSIONS = {"issues", "pull_requests", "contents", "checks", "statuses", "metadata", "members"}
# Events an App can subscribe to; `installation` and `installation_repositories` are sent to every App unasked.
SUBSCRIBABLE_EVENTS = {"issues", "issue_comment", "pull_request", "push", "check_run", "check_suite", "status"}


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def conversion_answer(pem: str) -> dict:
    """The 201 answer of POST /app-manifests/{code}/conversions: the App (`integration`) plus its credentials."""
    return {"id": 4242, "slug": "incident-desk-acme", "node_id": "MDExOkludGVncmF0aW9uNDI0Mg==",
            "owner": {"login": "acme", "id": 9919, "type": "Organization"}, "name": "Incident Desk acme",
            "description": "", "external_url": "https://desk.example.com",
            "html_url": "https://github.com/apps/incident-desk-acme", "created_at": "2026-12-03T09:00:00Z",
            "updated_at": "2026-12-03T09:00:00Z", "permissions": dict(PERMISSIONS), "events": list(EVENTS),
            "client_id": "Iv1.8a61f9b3a7aba766", "client_secret": "1726be1638095a19edd134c77bde3aa2ece1e5d8",
            "webhook_secret": "e340154128314309424b7c8e90325147d99fdafa", "pem": pem}


def test_the_manifest_holds_only_documented_parameters():
    app = manifest("https://desk.example.com", "http://127.0.0.1:5000/callback", "Incident Desk")
    assert set(app) <= MANIFEST_PARAMETERS and {"url", "hook_attributes"} <= set(app)  # `url` is required
    assert set(app["hook_attributes"]) <= HOOK_ATTRIBUTES
    assert app["hook_attributes"]["url"] == "https://desk.example.com/webhooks/github"
    assert app["redirect_url"] == "http://127.0.0.1:5000/callback"
    assert set(app["default_permissions"]) <= APP_PERMISSIONS
    assert set(app["default_permissions"].values()) <= {"read", "write"}
    assert {name for name, level in app["default_permissions"].items() if level == "write"} == \
        {"issues", "pull_requests", "contents", "checks", "statuses"}
    assert app["default_permissions"]["metadata"] == app["default_permissions"]["members"] == "read"
    assert set(app["default_events"]) <= SUBSCRIBABLE_EVENTS
    assert set(app["default_events"]) == {"issues", "issue_comment", "pull_request", "push"}
    json.dumps(app)  # it travels as JSON in a form field


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / "config" / "settings.env"
    monkeypatch.setenv("INCIDENT_DESK_SETTINGS_FILE", str(path))
    return path


def run_in_background(args):
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", CliRunner().invoke(cli, args)))
    thread.start()
    return thread, outcome


def wait_for_page(url: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        try:
            return requests.get(url, timeout=2).text
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_setup_github_posts_the_manifest_and_saves_the_apps_credentials(api, settings, settings_file, client):
    pem = private_key_pem()
    api.add_passthru("http://127.0.0.1")
    api.add(responses.POST, f"{GITHUB_API}/app-manifests/{CODE}/conversions", json=conversion_answer(pem),
            status=201)
    port = free_port()
    thread, outcome = run_in_background(["setup", "github", "--org", "acme", "--public-url",
                                         "https://desk.example.com/", "--port", str(port), "--no-browser",
                                         "--timeout", "30"])
    page = wait_for_page(f"http://127.0.0.1:{port}/")
    action = html.unescape(re.search(r'action="([^"]+)"', page).group(1))
    sent = json.loads(html.unescape(re.search(r'name=manifest value="([^"]+)"', page).group(1)))
    assert action.startswith("https://github.com/organizations/acme/settings/apps/new?state=")
    state = parse_qs(urlparse(action).query)["state"][0]
    assert sent == manifest("https://desk.example.com", f"http://127.0.0.1:{port}/callback", "Incident Desk")
    # an answer to some other page is refused, and the command keeps waiting for ours
    for wrong in ("other", "é", ""):
        answer = requests.get(f"http://127.0.0.1:{port}/callback", params={"code": CODE, "state": wrong})
        assert answer.status_code == 400
    assert requests.get(f"http://127.0.0.1:{port}/callback", params={"code": CODE, "state": state}).status_code == 200
    thread.join(30)
    result = outcome["result"]
    assert result.exit_code == 0, result.output
    [call] = api.calls
    assert call.request.headers["Accept"] == "application/vnd.github+json"
    assert "Authorization" not in call.request.headers  # the code is the proof
    assert read_settings_file(settings_file) == {
        "GITHUB_APP_ID": "4242", "GITHUB_PRIVATE_KEY": pem, "PUBLIC_URL": "https://desk.example.com",
        "GITHUB_WEBHOOK_SECRET": "e340154128314309424b7c8e90325147d99fdafa"}
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
    assert "1726be16" not in settings_file.read_text()  # the OAuth client secret is not kept
    assert "https://github.com/apps/incident-desk-acme/installations/new" in result.stdout
    assert "note: GITHUB_WEBHOOK_SECRET set in the environment win(s)" in result.stderr  # the test's own secret


def test_serve_web_and_worker_start_with_the_saved_app(settings, settings_file, monkeypatch, store):
    """What `serve`, `web` and `worker` build their settings from: the file, under the environment."""
    from webhook_app import create_app

    pem = private_key_pem()
    answer = conversion_answer(pem)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, f"{GITHUB_API}/app-manifests/{CODE}/conversions", json=answer, status=201)
        result = CliRunner().invoke(cli, ["setup", "github", "--code", CODE, "--public-url", "https://desk.example"])
    assert result.exit_code == 0, result.output
    for name in ("GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN"):
        monkeypatch.delenv(name)
    loaded = Settings.from_env()
    assert (loaded.github_app_id, loaded.github_private_key, loaded.public_url) == ("4242", pem, "https://desk.example")
    app = create_app({"SETTINGS": None, "TESTING": True})  # as `web` does: Settings.from_env()
    ping = load_fixture("github", "ping")
    assert post_github(app.test_client(), "ping", ping, secret=answer["webhook_secret"]).status_code < 300
    assert post_github(app.test_client(), "ping", ping, secret="some-other-secret").status_code == 401


@pytest.mark.parametrize("status, body, says", [
    (404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, "expired"),
    (422, {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest"}, "Validation Failed"),
])
def test_a_failed_or_expired_exchange_says_why_and_writes_nothing(api, settings, settings_file, status, body, says):
    settings_file.parent.mkdir()
    settings_file.write_text("REDIS_URL=redis://10.0.0.5:6379/0\n")
    api.add(responses.POST, f"{GITHUB_API}/app-manifests/{CODE}/conversions", json=body, status=status)
    result = CliRunner().invoke(cli, ["setup", "github", "--code", CODE])
    assert result.exit_code == 2
    assert result.stderr.startswith("incident-desk: setup failed:") and says in result.stderr
    assert settings_file.read_text() == "REDIS_URL=redis://10.0.0.5:6379/0\n"


def test_an_answer_without_the_webhook_secret_writes_nothing(api, settings, settings_file):
    answer = {**conversion_answer(private_key_pem()), "webhook_secret": None}  # nullable in GitHub's schema
    api.add(responses.POST, f"{GITHUB_API}/app-manifests/{CODE}/conversions", json=answer, status=201)
    result = CliRunner().invoke(cli, ["setup", "github", "--code", CODE])
    assert result.exit_code == 2 and "no webhook_secret" in result.stderr and "incident-desk-acme" in result.stderr
    assert not settings_file.exists()


@pytest.mark.parametrize("code", ["../../app/hook/config", "a b", "x?y=1", ""])
def test_a_code_github_would_not_give_is_refused_before_any_request(api, settings, settings_file, code):
    result = CliRunner().invoke(cli, ["setup", "github", "--code", code])
    assert result.exit_code == 2 and "is not a code GitHub gives" in result.stderr
    assert not settings_file.exists()  # and `api` fails the test on any request


def test_no_answer_from_github_in_time_writes_nothing(settings, settings_file):
    result = CliRunner().invoke(cli, ["setup", "github", "--no-browser", "--timeout", "1"])
    assert result.exit_code == 2 and "no answer from GitHub within 1 s" in result.stderr
    assert "GitHub cannot send webhooks to http://localhost:8000" in result.stderr  # PUBLIC_URL is not set
    assert not settings_file.exists()


# --- GitLab ---------------------------------------------------------------------------------------------------
HOOKS = re.compile(rf"{GITLAB_URL}/api/v4/projects/acme%2Fpayments/hooks(/\d+)?$")


def gitlab_hook(hook_id: int, url: str, **events) -> dict:
    """A hook as GitLab's "Project webhooks" API shows it (never its token)."""
    return {"id": hook_id, "url": url, "name": "", "description": "", "project_id": 3, "push_events": False,
            "push_events_branch_filter": "", "issues_events": False, "confidential_issues_events": False,
            "merge_requests_events": False, "tag_push_events": False, "note_events": False,
            "confidential_note_events": False, "job_events": False, "pipeline_events": False,
            "wiki_page_events": False, "deployment_events": False, "releases_events": False,
            "enable_ssl_verification": True, "alert_status": "executable", "disabled_until": None,
            "url_variables": [], "created_at": "2026-12-03T09:00:00Z", **events}


class FakeHooks:
    """GitLab's project hooks endpoints, keeping the hooks they create and update."""

    def __init__(self, mock, hooks):
        self.hooks, self.writes = {hook["id"]: hook for hook in hooks}, []
        mock.add_callback(responses.GET, HOOKS, callback=self.list)
        mock.add_callback(responses.POST, HOOKS, callback=self.create)
        mock.add_callback(responses.PUT, HOOKS, callback=self.update)

    def list(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps(list(self.hooks.values()))

    def create(self, request):
        sent = json.loads(request.body)
        self.writes.append(("POST", sent))
        hook = gitlab_hook(max(self.hooks, default=0) + 1, **{k: v for k, v in sent.items() if k != "token"})
        self.hooks[hook["id"]] = hook
        return 201, {"Content-Type": "application/json"}, json.dumps(hook)

    def update(self, request):
        sent, hook_id = json.loads(request.body), int(request.url.rsplit("/", 1)[1])
        self.writes.append(("PUT", hook_id, sent))
        self.hooks[hook_id].update({k: v for k, v in sent.items() if k != "token"})
        return 200, {"Content-Type": "application/json"}, json.dumps(self.hooks[hook_id])


TRIGGERS = {"issues_events": True, "confidential_issues_events": True, "note_events": True,
            "confidential_note_events": True, "merge_requests_events": True, "push_events": True}


def test_setup_gitlab_creates_one_hook_then_updates_it(fake_api, settings, settings_file, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://desk.example.com")
    other = gitlab_hook(7, "https://ci.example.com/hook", push_events=True)
    hooks = FakeHooks(fake_api, [other])
    gitlab = FakeGitLab(fake_api)  # the project the hook is for: its labels and onboarding merge request
    first = CliRunner().invoke(cli, ["setup", "gitlab", "--project", "acme/payments"])
    assert first.exit_code == 0, first.output
    assert "Labels created in acme/payments: incident, status::investigating" in first.stdout
    assert "onboarding merge request: opened" in first.stdout and len(gitlab.mrs) == 1
    [(verb, sent)] = hooks.writes
    assert verb == "POST" and sent == {"url": "https://desk.example.com/webhooks/gitlab", "token": "gitlab-test-secret",
                    "enable_ssl_verification": True, **TRIGGERS}
    assert "Created the webhook #8 of project acme/payments" in first.stdout
    fake_api.calls.reset()
    second = CliRunner().invoke(cli, ["setup", "gitlab", "--project", "acme/payments"])
    assert second.exit_code == 0, second.output
    assert hooks.writes[1:] == [("PUT", 8, sent)]  # the same hook, its token sent again: GitLab never shows it
    assert "Updated the webhook #8" in second.stdout
    assert sorted(hooks.hooks) == [7, 8] and hooks.hooks[7] == other
    assert not settings_file.exists()  # GITLAB_WEBHOOK_SECRET was set: nothing to save


def test_setup_gitlab_without_a_secret_makes_one_and_saves_it(fake_api, settings, settings_file, monkeypatch):
    monkeypatch.delenv("GITLAB_WEBHOOK_SECRET")
    hooks = FakeHooks(fake_api, [])
    FakeGitLab(fake_api)
    result = CliRunner().invoke(cli, ["setup", "gitlab", "--project", "acme/payments", "--public-url",
                                      "http://desk.internal:8000"])
    assert result.exit_code == 0, result.output
    [(verb, sent)] = hooks.writes
    saved = read_settings_file(settings_file)["GITLAB_WEBHOOK_SECRET"]
    assert verb == "POST" and sent["token"] == saved and len(saved) == 64 and sent["enable_ssl_verification"] is False
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
    again = CliRunner().invoke(cli, ["setup", "gitlab", "--project", "acme/payments", "--public-url",
                                     "http://desk.internal:8000"])
    assert again.exit_code == 0 and hooks.writes[1][2]["token"] == saved  # the saved secret is used again


@pytest.mark.parametrize("status, says", [(404, "GitLab has no project acme/payments"),
                                          (403, "needs the api scope and the Maintainer role")])
def test_setup_gitlab_says_why_gitlab_refused(api, settings, settings_file, status, says):
    api.add(responses.GET, HOOKS, json={"message": "404 Project Not Found" if status == 404 else "403 Forbidden"},
            status=status)
    result = CliRunner().invoke(cli, ["setup", "gitlab", "--project", "acme/payments"])
    assert result.exit_code == 2 and says in result.stderr


def test_setup_gitlab_wants_one_of_project_or_group(settings):
    result = CliRunner().invoke(cli, ["setup", "gitlab"])
    assert result.exit_code == 2 and "name one of --project or --group" in result.output
