"""The one interface handlers use to act on a forge. Adapters implement the primitives."""
from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from forges.errors import ForgeError
from incidents.forge_facts import ForgeFacts, MergeRequestSyntax
from incidents.summary import BOT_MARKER


class BodyTooLong(Exception):
    """The edited body would exceed what the forge accepts; the caller says so instead of losing it."""


# Normalized permission levels, lowest to highest (GitHub names; GitLab maps onto them).
PERMISSIONS = ("none", "read", "triage", "write", "maintain", "admin")
# Statuses that answer a permission question about a repository the bot cannot see (not installed there,
# private): for the bot, nobody has access to it.
NO_ACCESS = (403, 404)
# The bot's login, asked of the forge once and kept: in this process, and in Redis for every process.
IDENTITY_SECONDS = 24 * 3600
_IDENTITIES: dict[str, str] = {}


@dataclass(frozen=True)
class Issue:
    repository: str
    number: int
    title: str
    body: str
    state: str  # open | closed
    labels: tuple[str, ...]
    author: str
    url: str = ""
    created_at: datetime | None = None
    closed_at: datetime | None = None
    assignees: tuple[str, ...] = ()
    confidential: bool = False  # GitLab confidential issues never reach anything public


IssueChange = Callable[[Issue], Issue]  # the issue as read -> the issue wanted (see Forge.update_issue)


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    handle: object = field(default=None, compare=False, repr=False)  # the client's object, for edits


@dataclass(frozen=True)
class MergeRequest:
    repository: str
    number: int
    title: str
    body: str
    state: str  # open | closed | merged
    url: str
    merged_at: datetime | None = None
    head_sha: str | None = None


class Forge(abc.ABC):
    """Operations on issues, comments, files and merge requests of one forge."""

    platform: str
    config_path: str  # the per-repository config file on the default branch
    command_prefix: str = "/"

    # "::" scopes labels on GitLab; GitHub has no scoped labels. The label names themselves are each
    # repository's (its config's `labels`), so they travel with the repository's config, not the forge.
    label_separator: str
    body_limit: int  # characters an issue body or comment may hold
    merge_request_syntax: MergeRequestSyntax  # `#34` or `!34`, "pull request" or "merge request"
    web_host: str  # the host of the forge's web pages, to tell its URLs from other forges'
    own_quick_actions: frozenset = frozenset()  # bare command names the forge itself runs

    @classmethod
    def connect(cls, settings, installation_id: int | None = None) -> Forge:
        """The adapter, authenticated from the deployment settings."""
        raise NotImplementedError

    @classmethod
    def connect_for_repository(cls, settings, repository: str) -> Forge:
        """The adapter for work on a repository no webhook has named an installation for."""
        return cls.connect(settings)

    @staticmethod
    def delivery_headers(settings, event_name: str, delivery_id: str, body: bytes) -> dict[str, str]:
        """The headers this forge sends with a webhook delivery, authenticated with the deployment's secret
        (`incident-desk replay`). ValueError when that secret is not set."""
        raise NotImplementedError

    @abc.abstractmethod
    def issue_url(self, repository: str, number: int) -> str:
        """The web address of an issue."""

    def merge_request_ref(self, repository: str, number: int, home: str | None = None) -> str:
        """How people write a reference to this merge request from `home`."""
        return self.merge_request_syntax.ref(repository, number, home)

    @property
    def merge_request_noun(self) -> str:
        """What people on this forge call a merge request."""
        return self.merge_request_syntax.noun

    @property
    def facts(self) -> ForgeFacts:
        """This forge's conventions as plain values, for the pure plan functions in incidents/."""
        return ForgeFacts(self.merge_request_syntax, self.body_limit, self.command_prefix, self.web_host)

    # -- primitives each adapter implements
    @abc.abstractmethod
    def get_issue(self, repository: str, number: int) -> Issue: ...

    @abc.abstractmethod
    def edit_issue(self, repository: str, number: int, *, title: str | None = None,
                   body: str | None = None, state: str | None = None) -> None: ...

    @abc.abstractmethod
    def list_issues(self, repository: str, label: str, since: datetime | None = None) -> list[Issue]:
        """Every issue, open or closed, carrying `label`; with `since`, those updated at or after it."""

    @abc.abstractmethod
    def create_issue(self, repository: str, title: str, body: str, labels: Iterable[str] = (),
                     assignees: Iterable[str] = (), incident: bool = False) -> Issue:
        """A new issue; `incident` when it is an incident's own (GitLab opens it as its incident type)."""

    @abc.abstractmethod
    def add_labels(self, repository: str, number: int, labels: Iterable[str]) -> None: ...

    @abc.abstractmethod
    def remove_label(self, repository: str, number: int, label: str) -> None: ...

    # `merge_request=True` addresses a merge request's comments (GitLab keeps them apart from issues').
    @abc.abstractmethod
    def list_comments(self, repository: str, number: int, merge_request: bool = False) -> list[Comment]: ...

    @abc.abstractmethod
    def create_comment(self, repository: str, number: int, body: str, merge_request: bool = False) -> Comment: ...

    @abc.abstractmethod
    def edit_comment(self, repository: str, number: int, comment: Comment, body: str,
                     merge_request: bool = False) -> None: ...

    @abc.abstractmethod
    def read_file(self, repository: str, path: str) -> str | None:
        """A file's text on the default branch, or None when there is no such file."""

    @abc.abstractmethod
    def permission(self, repository: str, login: str) -> str:
        """The user's permission on the repository, one of PERMISSIONS."""

    def members(self, repository: str) -> dict[str, str] | None:
        """People with access to the repository and their permission (lower-case login -> one of
        PERMISSIONS), from the first page of its member list; None when it cannot be listed."""
        return None

    @abc.abstractmethod
    def get_merge_request(self, repository: str, number: int) -> MergeRequest: ...

    @abc.abstractmethod
    def merge_request_commit_messages(self, repository: str, number: int) -> list[str]:
        """The messages of a merge request's commits: one page (up to 100), one API call."""

    @abc.abstractmethod
    def set_commit_status(self, repository: str, sha: str, state: str, context: str,
                          description: str, target_url: str | None = None) -> None: ...

    @abc.abstractmethod
    def publish_check(self, repository: str, sha: str, name: str, conclusion: str, title: str, summary: str,
                      details_url: str | None = None) -> None:
        """A check on a commit: conclusion success | neutral | failure (a check run where the forge has
        them for this auth, else a commit status)."""

    # -- delivering files as a draft merge request (blog posts)
    @abc.abstractmethod
    def default_branch(self, repository: str) -> str: ...

    @abc.abstractmethod
    def ensure_branch(self, repository: str, branch: str, from_branch: str) -> None:
        """Create `branch` from `from_branch` unless it exists."""

    @abc.abstractmethod
    def put_file(self, repository: str, branch: str, path: str, content: str, message: str) -> bool:
        """Create or update a file on a branch; False when it already had that content."""

    @abc.abstractmethod
    def find_merge_request(self, repository: str, source_branch: str) -> MergeRequest | None:
        """The open merge request from `source_branch`, if any."""

    @abc.abstractmethod
    def open_draft_merge_request(self, repository: str, source_branch: str, target_branch: str, title: str,
                                 body: str) -> MergeRequest: ...

    @abc.abstractmethod
    def assign(self, repository: str, number: int, logins: Iterable[str]) -> None: ...

    @abc.abstractmethod
    def is_team_member(self, team: str, login: str) -> bool:
        """Membership of `org/team-slug` (GitHub) or a group path (GitLab)."""

    # -- labels of a repository and a ready merge request (issue 19: labels on install, the onboarding PR)
    def list_labels(self, repository: str) -> list[str]:
        """The names of the labels the repository's issues can take (GitLab: its groups' labels too)."""
        raise NotImplementedError

    def create_label(self, repository: str, name: str, colour: str, description: str) -> bool:
        """Create a label (colour: six hex digits); False when one of that name exists already."""
        raise NotImplementedError

    def open_merge_request(self, repository: str, source_branch: str, target_branch: str, title: str,
                           body: str) -> MergeRequest:
        """A merge request ready to merge (not a draft)."""
        raise NotImplementedError

    def alert_started_at(self, repository: str, number: int) -> datetime | None:
        """When the alert behind an incident issue started, where the forge opens incident issues from alerts of
        its own (GitLab's alert management): the `[detected]` time. None when the issue has no such alert, and on
        forges without alerts."""
        return None

    settings: Any  # the deployment's settings the adapter was connected with
    identity_cache: Any = None  # a Redis connection (the worker's): the bot's login shared by every process

    @property
    def bot_login(self) -> str:
        """The login the bot writes as, so its own events can be dropped: the deployment's setting, else
        asked of the forge once per credential and kept (in the process, and in Redis for a day)."""
        configured = self.settings.bot_login
        if configured:
            return configured
        key = hashlib.sha256(self.identity_key().encode()).hexdigest()[:24]
        if key not in _IDENTITIES:
            redis_key = f"incident-desk:bot-login:{key}"
            cached = self.identity_cache.get(redis_key) if self.identity_cache is not None else None
            login = cached.decode() if cached else self.fetch_bot_login()
            if not cached and self.identity_cache is not None:
                self.identity_cache.set(redis_key, login, ex=IDENTITY_SECONDS)
            _IDENTITIES[key] = login
        return _IDENTITIES[key]

    def identity_key(self) -> str:
        """What names the bot's identity: the App, or the token (the key is hashed before it is kept)."""
        raise NotImplementedError

    def fetch_bot_login(self) -> str:
        """The bot's login, asked of the forge (one call)."""
        raise NotImplementedError

    def wait_to_write(self) -> None:  # noqa: B027 - optional hook: forges without a write throttle inherit the no-op
        """Wait until the forge's write throttle lets the next write go at once (no throttle: no wait)."""

    # -- built on the primitives, the same on every forge
    def change_labels(self, repository: str, number: int, add: Iterable[str], remove: Iterable[str],
                      current: Iterable[str]) -> tuple[str, ...]:
        """Add and remove labels, every other label untouched; returns the labels as they are then.

        `current` is the freshest the caller has. Here one call per kind of change; adapters whose API
        does both in one call override it."""
        add, remove = list(add), list(remove)
        if add:
            self.add_labels(repository, number, add)
        for label in remove:
            self.remove_label(repository, number, label)
        return labels_after(current, add, remove)

    def comment(self, repository: str, number: int, text: str, merge_request: bool = False) -> Comment:
        """Post a bot comment; the hidden marker lets the bot recognise it when the hook comes back."""
        return self.create_comment(repository, number, f"{BOT_MARKER}\n{text}", merge_request)

    def find_marked_comment(self, repository: str, number: int, marker: str,
                            merge_request: bool = False) -> Comment | None:
        """The bot's own comment starting with `marker`; anyone can type the marker, so the author decides."""
        for comment in self.list_comments(repository, number, merge_request):
            if comment.body.startswith(marker) and self.wrote(comment):
                return comment
        return None

    def wrote(self, comment: Comment) -> bool:
        """Whether the bot wrote the comment (logins are case-insensitive on both forges)."""
        return comment.author.lower() == self.bot_login.lower()

    def upsert_marked_comment(self, repository: str, number: int, marker: str, body: str,
                              merge_request: bool = False) -> Comment | None:
        """Create or update the one comment starting with `marker`; no write when the text is the same.

        Returns the comment written, or None when nothing changed.
        """
        existing = self.find_marked_comment(repository, number, marker, merge_request)
        if existing is None:
            return self.create_comment(repository, number, body, merge_request)
        if existing.body.strip() == body.strip():
            return None
        self.edit_comment(repository, number, existing, body, merge_request)
        return existing

    def upsert_known_comment(self, repository: str, number: int, marker: str, body: str,
                             known: tuple[int, str] | None) -> tuple[int, str]:
        """Create or update the one comment starting with `marker`, given `known`, its (id, digest of the
        text) as last written: unchanged text costs no call, changed text one edit by id. Without `known`,
        or when that comment is gone (404), the comments are listed as by upsert_marked_comment.

        Returns the comment's (id, digest) now, for the caller to keep. A comment deleted by hand is
        written again when its text next changes."""
        digest = hashlib.sha256(body.strip().encode()).hexdigest()
        if known is not None:
            if known[1] == digest:
                return known
            try:
                self.edit_comment(repository, number, Comment(id=known[0], body="", author=""), body)
                return known[0], digest
            except ForgeError as exc:
                if exc.status != 404:
                    raise
        existing = self.find_marked_comment(repository, number, marker)
        if existing is None:
            existing = self.create_comment(repository, number, body)
        elif existing.body.strip() != body.strip():
            self.edit_comment(repository, number, existing, body)
        return existing.id, digest

    def update_issue(self, repository: str, number: int, *changes: IssueChange) -> Issue:
        """Apply `changes` (the issue as read -> the issue wanted) in one write where the forge allows.

        The issue is read after any wait of the write budget, so the write follows the read at once and a
        person's edit made meanwhile is kept. Returns the issue as written (as read, when nothing changed).
        BodyTooLong, and nothing written, when the new body would not fit."""
        self.wait_to_write()
        before = after = self.get_issue(repository, number)
        for change in changes:
            after = change(after)
        if after == before:
            return before
        if after.body != before.body and len(after.body) > self.body_limit:
            raise BodyTooLong(f"the body would be {len(after.body)} characters; the limit is {self.body_limit}")
        self.write_issue(before, after)
        return after

    def write_issue(self, before: Issue, after: Issue) -> None:
        """Write what differs between two states of an issue. Here one call per kind of change; adapters whose
        API takes them together override it."""
        if after.body != before.body or after.state != before.state:
            self.edit_issue(before.repository, before.number, body=after.body if after.body != before.body else None,
                            state=after.state if after.state != before.state else None)
        add, remove = label_changes(before.labels, after.labels)
        if add or remove:
            self.change_labels(before.repository, before.number, add, remove, before.labels)
        assigned = added_logins(before.assignees, after.assignees)
        if assigned:
            self.assign(before.repository, before.number, assigned)

    def edit_body(self, repository: str, number: int, change: Callable[[str], str]) -> str:
        """Apply `change` (old body -> new body) to the body as read just before writing; returns it as written."""
        return self.update_issue(repository, number, lambda issue: replace(issue, body=change(issue.body))).body


def label_changes(before: Iterable[str], after: Iterable[str]) -> tuple[list[str], list[str]]:
    """The labels to add and to remove to go from `before` to `after` (case-insensitive, as on the forges)."""
    had, wanted = {label.lower() for label in before}, {label.lower() for label in after}
    return [label for label in after if label.lower() not in had], [label for label in before
                                                                      if label.lower() not in wanted]


def added_logins(before: Iterable[str], after: Iterable[str]) -> list[str]:
    """The people in `after` and not in `before` (logins are case-insensitive)."""
    had = {login.lower() for login in before}
    return [login for login in after if login.lower() not in had]


def labels_after(current: Iterable[str], add: Iterable[str], remove: Iterable[str]) -> tuple[str, ...]:
    """The labels once `add` are on and `remove` are off (names compare case-insensitively, as on the forges)."""
    gone = {label.lower() for label in remove}
    labels = [label for label in current if label.lower() not in gone]
    for label in add:
        if label.lower() not in {have.lower() for have in labels}:
            labels.append(label)
    return tuple(labels)
