"""`incident-desk setup github` and `setup gitlab`: connect a forge in one command (issue 19 items 1 and 2)."""
from __future__ import annotations

import os
import secrets
import webbrowser
from datetime import UTC, datetime
from urllib.parse import urlparse

import click

from incident_desk.settings import Settings, settings_file_path, write_settings_file

# The GitLab webhook's triggers (README "Connect a GitLab project"): python-gitlab's names for them.
GITLAB_TRIGGERS = ("issues_events", "confidential_issues_events", "note_events", "confidential_note_events",
                   "merge_requests_events", "push_events")


class SetupFailed(click.ClickException):
    """A setup step the forge refused: said on one line, exit status 2, nothing written."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"incident-desk: setup failed: {self.format_message()}", err=True)


@click.group("setup")
def setup():
    """Connect GitHub or GitLab: create the App or webhook and save its secrets in the settings file."""


def _settings_file():
    path = settings_file_path()
    if path is None:
        raise click.UsageError("INCIDENT_DESK_SETTINGS_FILE is empty: name the settings file to write")
    return path


def _public_url(option: str | None, settings: Settings) -> str:
    url = (option or settings.public_url).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--public-url")
    return url


@setup.command("github")
@click.option("--org", help="Create the App in this organization (default: your personal account).")
@click.option("--public-url", help="The app's public base URL, where GitHub sends webhooks (default: PUBLIC_URL).")
@click.option("--name", default="Incident Desk", show_default=True, help="The App's name (GitHub lets you change it).")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port of the local page (default: any free).")
@click.option("--no-browser", is_flag=True, help="Print the local page's URL instead of opening it.")
@click.option("--timeout", default=600, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds to wait for GitHub's answer.")
@click.option("--code", help="Exchange a code GitHub already gave (the `code` of its redirect), skipping the page.")
def github(org, public_url, name, port, no_browser, timeout, code):
    """Create the GitHub App from a manifest and save its id, private key and webhook secret."""
    from incident_desk.cli import setup_github as flow

    settings = Settings.from_env()
    path, public = _settings_file(), _public_url(public_url, settings)
    if code is None:
        code = _receive_code(flow, settings, org, public, name, port, no_browser, timeout)
    try:
        answer = flow.exchange(settings.github_api_url, code)
    except flow.ExchangeFailed as exc:
        raise SetupFailed(str(exc)) from exc
    saved = flow.credentials(answer, public)
    write_settings_file(path, saved, header=_header("setup github"))
    _note_overridden(saved)
    click.echo(f"Created the GitHub App {answer.get('slug') or answer['id']} (id {answer['id']}); its key and "
               f"webhook secret are in {path} (readable by you only), which serve, web and worker read.")
    if answer.get("html_url"):
        click.echo(f"Next: install it on your repositories at {answer['html_url']}/installations/new")


def _receive_code(flow, settings, org, public, name, port, no_browser, timeout) -> str:
    """Serve the page that posts the manifest, and wait for GitHub's redirect back to it."""
    github_url = flow.web_url(settings.github_api_url)
    if urlparse(public).hostname in ("localhost", "127.0.0.1", "::1"):
        click.echo(f"note: GitHub cannot send webhooks to {public}; give the address it can reach with "
                   f"--public-url (the App's webhook URL can be changed on GitHub later)", err=True)

    def page(receiver):
        app_manifest = flow.manifest(public, receiver.url + flow.CALLBACK_PATH, name)
        return flow.form_page(flow.new_app_url(github_url, org, receiver.state), app_manifest)

    try:
        receiver = flow.CodeReceiver(port, page)
    except OSError as exc:
        raise click.UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
    click.echo(f"Open {receiver.url}/ in a browser signed in to GitHub{f' (an owner of {org})' if org else ''}; "
               f"it sends GitHub the App's manifest.")
    if not no_browser:
        webbrowser.open(f"{receiver.url}/")
    code = receiver.wait(timeout)
    if code is None:
        raise SetupFailed(f"no answer from GitHub within {timeout} s; nothing was written")
    return code


def _note_overridden(saved: dict[str, str]) -> None:
    """The environment wins over the file: say which of the saved values it hides."""
    hidden = [name for name, value in saved.items() if os.environ.get(name, value) != value]
    if hidden:
        click.echo(f"note: {', '.join(hidden)} set in the environment win(s) over the settings file; unset them "
                   f"to use the new App", err=True)


def _header(command: str) -> str:
    return f"Written by `incident-desk {command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the environment wins."


@setup.command("gitlab")
@click.option("--project", help="group/project whose webhook to create or update.")
@click.option("--group", help="A group whose webhook to create or update (GitLab Premium), instead of --project.")
@click.option("--public-url", help="The app's public base URL, where GitLab sends webhooks (default: PUBLIC_URL).")
def gitlab(project, group, public_url):
    """Create the GitLab webhook with the right triggers and secret, or update the one already there."""
    if bool(project) == bool(group):
        raise click.UsageError("name one of --project or --group")
    settings = Settings.from_env()
    if not settings.gitlab_token:
        raise click.UsageError("GITLAB_TOKEN is not set (a token with the api scope, Maintainer on the project)")
    url = f"{_public_url(public_url, settings)}/webhooks/gitlab"
    secret, path = settings.gitlab_webhook_secret, None
    if not secret:  # a new one, saved once GitLab has it
        secret, path = secrets.token_hex(32), _settings_file()
    from incident_desk.cli.setup_gitlab import GitLabSetupFailed, ensure_hook

    try:
        action, hook_id = ensure_hook(settings, project or group, is_group=bool(group), url=url, secret=secret,
                                      triggers=GITLAB_TRIGGERS)
    except GitLabSetupFailed as exc:
        raise SetupFailed(str(exc)) from exc
    if path is not None:
        write_settings_file(path, {"GITLAB_WEBHOOK_SECRET": secret}, header=_header("setup gitlab"))
        click.echo(f"Made a webhook secret and saved it as GITLAB_WEBHOOK_SECRET in {path} (readable by you only).")
    click.echo(f"{action} the webhook #{hook_id} of {'group' if group else 'project'} {project or group}: {url}, "
               f"triggers {', '.join(name.removesuffix('_events') for name in GITLAB_TRIGGERS)}, with the secret.")
    if project:
        _set_up_project(settings, project)


def _set_up_project(settings: Settings, project: str) -> None:
    """The project's labels and its onboarding merge request, as an App installation gets them (issue 19)."""
    from handlers.onboarding import set_up
    from incident_desk.cli.runtime import redis_and_database
    from worker.bootstrap import forge_for, open_context, runtime

    with redis_and_database(settings, os.environ):
        rt = runtime()
        created, outcome = set_up(open_context(rt, forge_for(rt, "gitlab"), project), project)
    click.echo(f"Labels created in {project}: {', '.join(created) or 'none (all were there)'}; "
               f"onboarding merge request: {outcome}.")
