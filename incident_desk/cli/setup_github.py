"""`incident-desk setup github`: GitHub's App manifest flow (issue 19 item 1).

GitHub's "Registering a GitHub App from a manifest": a page posts the manifest (a form field `manifest`, the
JSON, and a `state`) to github.com/settings/apps/new (or /organizations/ORG/settings/apps/new); GitHub creates
the App and sends the browser to the manifest's `redirect_url` with `code` and the same `state`; within an hour
`POST /app-manifests/{code}/conversions` answers 201 with the App (`id`, `slug`, `html_url`…) and its
credentials (`pem`, `webhook_secret`, `client_id`, `client_secret`). We keep the id, key and webhook secret.
"""
from __future__ import annotations

import html
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

# The App's permissions (README "Connect a GitHub App"): contents write for blog drafts, members for teams.
PERMISSIONS = {"issues": "write", "pull_requests": "write", "contents": "write", "checks": "write",
               "statuses": "write", "metadata": "read", "members": "read"}
# `installation` and `installation_repositories` are not listed: every App receives them and GitHub offers no
# subscription to them.
EVENTS = ["issues", "issue_comment", "pull_request", "push"]
CALLBACK_PATH = "/callback"


class ExchangeFailed(Exception):
    """GitHub would not turn the code into an App's credentials; the message says why."""


def manifest(public_url: str, redirect_url: str, name: str) -> dict:
    """The App manifest: only parameters GitHub documents (tests/flows/test_setup_github.py checks them)."""
    return {
        "name": name,
        "url": public_url,
        "description": "Runs the incident process in your issues: labels, status, summary, reminders.",
        "hook_attributes": {"url": f"{public_url}/webhooks/github", "active": True},
        "redirect_url": redirect_url,
        "public": False,
        "default_permissions": dict(PERMISSIONS),
        "default_events": list(EVENTS),
    }


def web_url(api_url: str) -> str:
    """github.com for api.github.com; a GitHub Enterprise Server's host for its `/api/v3`."""
    if api_url.rstrip("/") == "https://api.github.com":
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")


def new_app_url(github_url: str, org: str | None, state: str) -> str:
    """Where the manifest is posted: the user's new-App page, or the organization's."""
    owner = f"/organizations/{quote(org, safe='')}" if org else ""
    return f"{github_url}{owner}/settings/apps/new?state={quote(state, safe='')}"


def form_page(action: str, app_manifest: dict) -> str:
    """A page that posts the manifest to GitHub as soon as it opens (and has a button if scripts are off)."""
    return ("<!doctype html><meta charset=utf-8><title>Create the Incident Desk GitHub App</title>"
            f'<form id=manifest action="{html.escape(action)}" method=post>'
            f'<input type=hidden name=manifest value="{html.escape(json.dumps(app_manifest))}">'
            "<p>GitHub will ask you to name and create the App.</p>"
            "<button type=submit>Create the GitHub App</button></form>"
            "<script>document.getElementById('manifest').submit()</script>")


class CodeReceiver:
    """A local server: `/` posts the manifest, `/callback` receives GitHub's redirect with the code."""

    def __init__(self, port: int, make_page):
        self.state = secrets.token_urlsafe(24)
        self.code: str | None = None
        self.received = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self, make_page))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self, query: str) -> tuple[int, str]:
        """The callback's answer: 200 once the code came with our state, 400 otherwise (and keep waiting)."""
        values = parse_qs(query)
        code, state = values.get("code", [""])[0], values.get("state", [""])[0]
        if not code or not secrets.compare_digest(state.encode(), self.state.encode()):
            return 400, "This is not the answer to the page Incident Desk opened; start from that page again."
        self.code = code
        self.received.set()
        return 200, "GitHub created the App. Go back to the terminal: Incident Desk is saving its credentials."

    def wait(self, timeout: float) -> str | None:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            self.received.wait(timeout)
        finally:
            self.server.shutdown()
            self.server.server_close()
        return self.code


def _handler(receiver: CodeReceiver, make_page):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            parsed = urlparse(self.path)
            if parsed.path == "/":
                status, text, kind = 200, make_page(receiver), "text/html"
            elif parsed.path == CALLBACK_PATH:
                (status, text), kind = receiver.take(parsed.query), "text/plain"
            else:
                status, text, kind = 404, "Not found", "text/plain"
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # the terminal is for what the user must do, not access lines
            pass

    return Handler


def exchange(api_url: str, code: str) -> dict:
    """`POST /app-manifests/{code}/conversions` (no authentication: the code is the proof); the 201 answer, or
    ExchangeFailed saying why."""
    import requests

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", code or ""):
        raise ExchangeFailed(f"{code!r} is not a code GitHub gives")
    try:
        response = requests.post(f"{api_url}/app-manifests/{code}/conversions", timeout=30,
                                 headers={"Accept": "application/vnd.github+json",
                                          "X-GitHub-Api-Version": "2022-11-28"})
    except requests.RequestException as exc:
        raise ExchangeFailed(f"could not reach {api_url} ({exc.__class__.__name__})") from exc
    if response.status_code == 404:
        raise ExchangeFailed("GitHub does not know this code: it expired (a code lasts an hour) or was used "
                             "already. Run `incident-desk setup github` again.")
    if response.status_code != 201:
        raise ExchangeFailed(f"GitHub answered {response.status_code}: {_message(response)}")
    answer = response.json()
    missing = [key for key in ("id", "pem", "webhook_secret") if not answer.get(key)]
    if missing:  # the App exists now: say where to finish by hand
        raise ExchangeFailed(f"GitHub's answer has no {', '.join(missing)}; finish the App "
                             f"{answer.get('html_url') or answer.get('id')} by hand (README \"Connect a GitHub App\")")
    return answer


def _message(response) -> str:
    try:
        return str(response.json().get("message") or response.text[:200])
    except ValueError:
        return response.text[:200] or response.reason


def credentials(answer: dict, public_url: str) -> dict[str, str]:
    """The settings file's lines for the new App (the client id and secret are not used: no OAuth)."""
    return {"GITHUB_APP_ID": str(answer["id"]), "GITHUB_PRIVATE_KEY": answer["pem"],
            "GITHUB_WEBHOOK_SECRET": answer["webhook_secret"], "PUBLIC_URL": public_url}
