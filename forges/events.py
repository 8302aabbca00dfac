"""Platform-neutral events that handlers receive (DESIGN "Events and normalization")."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ISSUE = "issue"
COMMENT = "comment"
MERGE_REQUEST = "merge_request"


@dataclass(frozen=True)
class Actor:
    login: str
    is_bot: bool = False
    user_id: int | None = None


@dataclass(frozen=True)
class Event:
    """Fields every event carries; `kind` and `action` pick the handlers."""

    kind: str
    action: str
    platform: str
    repository: str  # full path: owner/repo or group/subgroup/project
    number: int  # issue or merge request number (GitLab iid)
    actor: Actor
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    url: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    delivery_id: str = ""
    installation_id: int | None = None


@dataclass(frozen=True)
class IssueEvent(Event):
    state: str = "open"  # open | closed
    author: str = ""
    closed_at: datetime | None = None
    is_incident_type: bool = False  # GitLab issue type "incident"
    confidential: bool = False
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommentEvent(Event):
    """A comment on an issue or merge request; the issue fields describe what it is on."""

    comment_id: int = 0
    comment: str = ""
    commented_at: datetime | None = None  # the comment's own time: of two commands the later one wins
    comment_url: str = ""
    on_merge_request: bool = False


@dataclass(frozen=True)
class MergeRequestEvent(Event):
    state: str = "open"  # open | closed | merged
    merged: bool = False
    merged_at: datetime | None = None
    head_sha: str | None = None
    source_branch: str = ""
    target_branch: str = ""
    commit_messages: tuple[str, ...] = field(default=())
    # The event can change which commits the merge request holds (opened, reopened, new commits
    # pushed, another base): only then are its commits read (one API call).
    commits_changed: bool = False


INSTALLATION = "installation"  # the bot was given a repository (GitHub App installed or repositories added)
PUSH = "push"


@dataclass(frozen=True)
class InstallationEvent(Event):
    """Repositories the bot was just given, all in one event (handlers run once per delivery); `repository`
    is the first of them and `number` is 0."""

    repositories: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushEvent(Event):
    """Commits pushed to a branch; `number` is 0. `paths` are the files the listed commits touch; the forges
    list a bounded number of commits, so `all_listed` says whether those are every commit of the push."""

    branch: str = ""  # the branch pushed to; "" for a tag
    default_branch: str = ""
    paths: tuple[str, ...] = ()
    all_listed: bool = True
    deleted: bool = False
