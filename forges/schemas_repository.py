"""Schemas of the events about a repository rather than an issue: the App installed on repositories (GitHub's
`installation` and `installation_repositories`) and pushes (GitHub `push`, GitLab `Push Hook`).

Shapes as documented (GitHub: "Webhook events and payloads"; GitLab: "Webhook events", Push events) and as in
tests/fixtures/. Unknown fields are ignored, as in forges.schemas."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, post_load

from forges.events import INSTALLATION, PUSH, Actor, InstallationEvent, PushEvent
from forges.schemas import GHInstallation, GHUser

# GitHub lists at most this many commits in a push payload ("The array includes a maximum of 2048 commits");
# GitLab at most 20, and says how many there were in `total_commits_count`.
GITHUB_MAX_PUSH_COMMITS = 2048
NO_COMMIT = "0" * 40  # the `after` of a deleted branch


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class GHInstalledRepository(_Lenient):
    full_name = fields.String(required=True)


class GitHubInstallation(_Lenient):
    """`installation` (action `created`: `repositories`) and `installation_repositories` (action `added`:
    `repositories_added`): one event, action `added`, naming the repositories the App may now work on."""

    action = fields.String(required=True)
    installation = fields.Nested(GHInstallation, required=True)
    sender = fields.Nested(GHUser, required=True)
    repositories = fields.List(fields.Nested(GHInstalledRepository), load_default=list, allow_none=True)
    repositories_added = fields.List(fields.Nested(GHInstalledRepository), load_default=list, allow_none=True)

    @post_load
    def make_events(self, data, **kwargs):
        if data["action"] == "created":
            added = data["repositories"] or []
        elif data["action"] == "added":
            added = data["repositories_added"] or []
        else:
            return []  # deleted, suspended, removed…: nothing to set up
        if not added:
            return []
        sender = data["sender"]
        actor = Actor(login=sender["login"], is_bot=sender["type"] == "Bot" or sender["login"].endswith("[bot]"))
        names = tuple(repo["full_name"] for repo in added)
        return [InstallationEvent(kind=INSTALLATION, action="added", platform="github", repository=names[0], number=0,
                                  actor=actor, installation_id=data["installation"]["id"], repositories=names)]


class _CommitFiles(_Lenient):
    added = fields.List(fields.String(), load_default=list)
    removed = fields.List(fields.String(), load_default=list)
    modified = fields.List(fields.String(), load_default=list)


def _paths(commits) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for commit in commits:
        for path in (*commit["added"], *commit["removed"], *commit["modified"]):
            seen.setdefault(path, None)
    return tuple(seen)


def _branch(ref: str) -> str:
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else ""


class GHPushRepository(_Lenient):
    full_name = fields.String(required=True)
    default_branch = fields.String(load_default="")


class GitHubPush(_Lenient):
    ref = fields.String(required=True)
    after = fields.String(load_default="")
    deleted = fields.Boolean(load_default=False)
    commits = fields.List(fields.Nested(_CommitFiles), load_default=list, allow_none=True)
    repository = fields.Nested(GHPushRepository, required=True)
    sender = fields.Nested(GHUser, required=True)
    installation = fields.Nested(GHInstallation, load_default=None, allow_none=True)

    @post_load
    def make_event(self, data, **kwargs):
        commits, sender = data["commits"] or [], data["sender"]
        return PushEvent(kind=PUSH, action="pushed", platform="github", repository=data["repository"]["full_name"],
                         number=0, actor=Actor(login=sender["login"], is_bot=sender["type"] == "Bot"),
                         installation_id=(data["installation"] or {}).get("id"), branch=_branch(data["ref"]),
                         default_branch=data["repository"]["default_branch"], paths=_paths(commits),
                         all_listed=len(commits) < GITHUB_MAX_PUSH_COMMITS,
                         deleted=bool(data["deleted"]) or data["after"] == NO_COMMIT)


class GLPushProject(_Lenient):
    path_with_namespace = fields.String(required=True)
    default_branch = fields.String(load_default="", allow_none=True)


class GitLabPush(_Lenient):
    ref = fields.String(required=True)
    after = fields.String(load_default="")
    user_username = fields.String(required=True)
    project = fields.Nested(GLPushProject, required=True)
    commits = fields.List(fields.Nested(_CommitFiles), load_default=list, allow_none=True)
    total_commits_count = fields.Integer(load_default=None, allow_none=True)

    @post_load
    def make_events(self, data, **kwargs):
        commits = data["commits"] or []
        total = data["total_commits_count"]
        return [PushEvent(kind=PUSH, action="pushed", platform="gitlab",
                          repository=data["project"]["path_with_namespace"], number=0,
                          actor=Actor(login=data["user_username"]), branch=_branch(data["ref"]),
                          default_branch=data["project"]["default_branch"] or "", paths=_paths(commits),
                          all_listed=total is None or total <= len(commits), deleted=data["after"] == NO_COMMIT)]
