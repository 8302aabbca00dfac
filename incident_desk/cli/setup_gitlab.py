"""`incident-desk setup gitlab`: the project's (or group's) webhook through python-gitlab, one per URL."""
from __future__ import annotations

import gitlab
import requests
from gitlab.exceptions import GitlabError


class GitLabSetupFailed(Exception):
    """GitLab refused or could not be reached; the message says what to do."""


def ensure_hook(settings, path: str, *, is_group: bool, url: str, secret: str,
                triggers: tuple[str, ...]) -> tuple[str, int]:
    """Create the webhook, or update the one already posting to `url` (never a second); ("Created"|"Updated", id).
    GitLab never shows a hook's token, so an update always sends it."""
    gl = gitlab.Gitlab(settings.gitlab_url, private_token=settings.gitlab_token, retry_transient_errors=False,
                       timeout=30)
    owner = (gl.groups if is_group else gl.projects).get(path, lazy=True)  # no GET: the hooks call says 404
    attributes = {"url": url, "token": secret, "enable_ssl_verification": url.startswith("https://"),
                  **dict.fromkeys(triggers, True)}
    kind = "group" if is_group else "project"
    try:
        same = [hook for hook in owner.hooks.list(get_all=True) if hook.url.rstrip("/") == url]
        if same:
            owner.hooks.update(same[0].id, attributes)
            return "Updated", same[0].id
        return "Created", owner.hooks.create(attributes).id
    except GitlabError as exc:
        raise GitLabSetupFailed(_why(exc, kind, path)) from exc
    except requests.RequestException as exc:
        raise GitLabSetupFailed(f"could not reach {settings.gitlab_url} ({exc.__class__.__name__})") from exc


def _why(exc: GitlabError, kind: str, path: str) -> str:
    if exc.response_code == 401:
        return "GitLab refused GITLAB_TOKEN (401): it is wrong, expired or revoked"
    if exc.response_code == 403:
        return f"GITLAB_TOKEN may not manage the webhooks of {kind} {path} (403): it needs the api scope and " \
               f"the Maintainer role{' (Owner for a group)' if kind == 'group' else ''}"
    if exc.response_code == 404:
        return f"GitLab has no {kind} {path}, or GITLAB_TOKEN cannot see it (404)"
    return f"GitLab answered {exc.response_code}: {exc.error_message}"
