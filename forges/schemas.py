"""Marshmallow schemas that validate webhook payloads and turn them into Events.

One schema per (platform, event). Unknown fields are ignored: forges add fields
over time and a new field must never make us drop an event.
"""
from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from forges.events import COMMENT, ISSUE, MERGE_REQUEST, Actor, CommentEvent, IssueEvent, MergeRequestEvent


class ForgeDateTime(fields.Field):
    """ISO 8601 (`2013-12-03T17:15:43Z`) or GitLab's older `2015-05-17 17:06:40 UTC`, always UTC-aware."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return None
        text = str(value).strip()
        if text.endswith(" UTC"):
            text = text[:-4] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(f"not a date-time: {value!r}") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


def _text(**kw):
    return fields.String(load_default="", allow_none=True, **kw)


# ---------------------------------------------------------------- GitHub

class GHUser(_Base):
    login = fields.String(required=True)
    type = fields.String(load_default="User")


class GHLabel(_Base):
    name = fields.String(required=True)


class GHRepository(_Base):
    full_name = fields.String(required=True)
    id = fields.Integer(load_default=None)


class GHInstallation(_Base):
    id = fields.Integer(required=True)


class GHIssue(_Base):
    number = fields.Integer(required=True)
    title = _text()
    body = _text()
    state = fields.String(load_default="open")
    html_url = _text()
    user = fields.Nested(GHUser, required=True)
    labels = fields.List(fields.Nested(GHLabel), load_default=list)
    assignees = fields.List(fields.Nested(GHUser), load_default=list)
    created_at = ForgeDateTime(load_default=None)
    updated_at = ForgeDateTime(load_default=None)
    closed_at = ForgeDateTime(load_default=None)
    pull_request = fields.Raw(load_default=None)


class GHComment(_Base):
    id = fields.Integer(required=True)
    body = _text()
    user = fields.Nested(GHUser, required=True)
    author_association = fields.String(load_default=None)
    created_at = ForgeDateTime(load_default=None)
    html_url = _text()


class GHRef(_Base):
    sha = fields.String(load_default=None)
    ref = fields.String(load_default="")


class GHPullRequest(_Base):
    number = fields.Integer(required=True)
    title = _text()
    body = _text()
    state = fields.String(load_default="open")
    html_url = _text()
    user = fields.Nested(GHUser, required=True)
    labels = fields.List(fields.Nested(GHLabel), load_default=list)
    merged = fields.Boolean(load_default=False, allow_none=True)
    merged_at = ForgeDateTime(load_default=None)
    created_at = ForgeDateTime(load_default=None)
    updated_at = ForgeDateTime(load_default=None)
    head = fields.Nested(GHRef, load_default=dict)
    base = fields.Nested(GHRef, load_default=dict)


class _GHPayload(_Base):
    action = fields.String(required=True)
    repository = fields.Nested(GHRepository, required=True)
    sender = fields.Nested(GHUser, required=True)
    installation = fields.Nested(GHInstallation, load_default=None)


def _github_common(data, item) -> dict:
    sender = data["sender"]
    return dict(
        platform="github",
        action=data["action"],
        repository=data["repository"]["full_name"],
        number=item["number"],
        actor=Actor(
            login=sender["login"],
            is_bot=sender["type"] == "Bot" or sender["login"].endswith("[bot]"),
        ),
        title=item["title"] or "",
        body=item["body"] or "",
        labels=tuple(label["name"] for label in item["labels"]),
        url=item["html_url"] or "",
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        installation_id=(data["installation"] or {}).get("id"),
    )


class GitHubIssues(_GHPayload):
    issue = fields.Nested(GHIssue, required=True)
    label = fields.Nested(GHLabel, load_default=None)

    @post_load
    def make_event(self, data, **kwargs):
        issue = data["issue"]
        label = (data["label"] or {}).get("name")
        return IssueEvent(
            kind=ISSUE,
            **_github_common(data, issue),
            state="closed" if issue["state"] == "closed" else "open",
            author=issue["user"]["login"],
            closed_at=issue["closed_at"],
            labels_added=(label,) if label and data["action"] == "labeled" else (),
            labels_removed=(label,) if label and data["action"] == "unlabeled" else (),
            assignees=tuple(a["login"] for a in issue["assignees"]),
        )


class GitHubIssueComment(_GHPayload):
    issue = fields.Nested(GHIssue, required=True)
    comment = fields.Nested(GHComment, required=True)

    @post_load
    def make_event(self, data, **kwargs):
        issue, comment = data["issue"], data["comment"]
        return CommentEvent(
            kind=COMMENT,
            **_github_common(data, issue),
            comment_id=comment["id"],
            comment=comment["body"] or "",
            commented_at=comment["created_at"],
            comment_url=comment["html_url"] or "",
            on_merge_request=issue["pull_request"] is not None,
        )


# New commits on a PR are an edit, as GitLab's merge request `update` is.
GITHUB_PR_ACTIONS = {"synchronize": "edited"}


class GitHubPullRequest(_GHPayload):
    pull_request = fields.Nested(GHPullRequest, required=True)
    changes = fields.Dict(load_default=dict, allow_none=True)

    @post_load
    def make_event(self, data, **kwargs):
        pr = data["pull_request"]
        merged = bool(pr["merged"]) or pr["merged_at"] is not None
        common = _github_common(data, pr)
        commits_changed = common["action"] in ("opened", "reopened", "synchronize") or (
            common["action"] == "edited" and "base" in (data["changes"] or {}))
        if common["action"] == "closed" and merged:
            common["action"] = "merged"
        common["action"] = GITHUB_PR_ACTIONS.get(common["action"], common["action"])
        return MergeRequestEvent(
            kind=MERGE_REQUEST,
            **common,
            state="merged" if merged else ("closed" if pr["state"] == "closed" else "open"),
            merged=merged,
            merged_at=pr["merged_at"],
            head_sha=pr["head"].get("sha"),
            source_branch=pr["head"].get("ref", ""),
            target_branch=pr["base"].get("ref", ""),
            commits_changed=commits_changed,
        )


# ---------------------------------------------------------------- GitLab

class GLUser(_Base):
    id = fields.Integer(load_default=None)
    username = fields.String(required=True)
    bot = fields.Boolean(load_default=False)


class GLLabel(_Base):
    title = fields.String(required=True)


class GLProject(_Base):
    id = fields.Integer(load_default=None)
    path_with_namespace = fields.String(required=True)


class GLLabelChange(_Base):
    previous = fields.List(fields.Nested(GLLabel), load_default=list)
    current = fields.List(fields.Nested(GLLabel), load_default=list)


class GLChanges(_Base):
    labels = fields.Nested(GLLabelChange, load_default=None)
    description = fields.Raw(load_default=None)
    title = fields.Raw(load_default=None)


class GLIssueAttributes(_Base):
    iid = fields.Integer(required=True)
    title = _text()
    description = _text()
    state = fields.String(load_default="opened")
    action = fields.String(load_default=None)
    url = _text()
    created_at = ForgeDateTime(load_default=None)
    updated_at = ForgeDateTime(load_default=None)
    closed_at = ForgeDateTime(load_default=None)
    confidential = fields.Boolean(load_default=False, allow_none=True)
    type = fields.String(load_default=None, allow_none=True)
    issue_type = fields.String(load_default=None, allow_none=True)
    labels = fields.List(fields.Nested(GLLabel), load_default=list)


class GLMergeRequestAttributes(GLIssueAttributes):
    merge_commit_sha = fields.String(load_default=None, allow_none=True)
    last_commit = fields.Dict(load_default=None, allow_none=True)
    oldrev = fields.String(load_default=None, allow_none=True)  # only on updates that bring new commits
    source_branch = fields.String(load_default="")
    target_branch = fields.String(load_default="")
    merged_at = ForgeDateTime(load_default=None)


class GLNoteAttributes(_Base):
    id = fields.Integer(required=True)
    note = _text()
    noteable_type = fields.String(required=True)
    action = fields.String(load_default="create")
    system = fields.Boolean(load_default=False, allow_none=True)
    created_at = ForgeDateTime(load_default=None)
    url = _text()


def _is_gitlab_bot(user: dict) -> bool:
    # GitLab project/group access-token users are named project_<id>_bot_<hash>.
    name = user["username"]
    return bool(user.get("bot")) or (name.startswith(("project_", "group_")) and "_bot" in name)


class _GLPayload(_Base):
    user = fields.Nested(GLUser, required=True)
    project = fields.Nested(GLProject, required=True)
    labels = fields.List(fields.Nested(GLLabel), load_default=list)
    changes = fields.Nested(GLChanges, load_default=dict)


def _gitlab_common(data, item, action) -> dict:
    user = data["user"]
    labels = data["labels"] or item.get("labels") or []
    return dict(
        platform="gitlab",
        action=action,
        repository=data["project"]["path_with_namespace"],
        number=item["iid"],
        actor=Actor(login=user["username"], is_bot=_is_gitlab_bot(user), user_id=user.get("id")),
        title=item.get("title") or "",
        body=item.get("description") or "",
        labels=tuple(label["title"] for label in labels),
        url=item.get("url") or "",
        created_at=item.get("created_at"),
        updated_at=item.get("updated_at"),
    )


# GitLab issue actions -> our actions; `update` is split by what changed (see label_actions).
GITLAB_ISSUE_ACTIONS = {"open": "opened", "close": "closed", "reopen": "reopened", "update": "edited"}
GITLAB_MR_ACTIONS = {"open": "opened", "update": "edited", "merge": "merged", "close": "closed", "reopen": "reopened"}


class GitLabIssue(_GLPayload):
    object_attributes = fields.Nested(GLIssueAttributes, required=True)

    @post_load
    def make_events(self, data, **kwargs):
        """A list: one GitLab `update` may both edit the text and change labels."""
        attrs = data["object_attributes"]
        change = (data["changes"] or {}).get("labels")
        before = {label["title"] for label in change["previous"]} if change else set()
        after = {label["title"] for label in change["current"]} if change else set()
        base = dict(
            kind=ISSUE,
            state="closed" if attrs["state"] == "closed" else "open",
            closed_at=attrs["closed_at"],
            is_incident_type="incident" in {(attrs["type"] or "").lower(), (attrs["issue_type"] or "").lower()},
            confidential=bool(attrs["confidential"]),
            labels_added=tuple(sorted(after - before)),
            labels_removed=tuple(sorted(before - after)),
        )
        action = GITLAB_ISSUE_ACTIONS.get(attrs["action"] or "", attrs["action"] or "unknown")
        if action != "edited":
            return [IssueEvent(**base, **_gitlab_common(data, attrs, action))]
        events = []
        if base["labels_added"]:
            events.append(IssueEvent(**base, **_gitlab_common(data, attrs, "labeled")))
        if base["labels_removed"]:
            events.append(IssueEvent(**base, **_gitlab_common(data, attrs, "unlabeled")))
        changes = data["changes"] or {}
        if changes.get("description") is not None or changes.get("title") is not None or not events:
            events.append(IssueEvent(**base, **_gitlab_common(data, attrs, "edited")))
        return events


class GitLabMergeRequest(_GLPayload):
    object_attributes = fields.Nested(GLMergeRequestAttributes, required=True)

    @post_load
    def make_events(self, data, **kwargs):
        attrs = data["object_attributes"]
        action = GITLAB_MR_ACTIONS.get(attrs["action"] or "", attrs["action"] or "unknown")
        merged = attrs["state"] == "merged"
        commit = attrs["last_commit"] or {}
        return [MergeRequestEvent(
            kind=MERGE_REQUEST,
            **_gitlab_common(data, attrs, action),
            state="merged" if merged else ("closed" if attrs["state"] == "closed" else "open"),
            merged=merged,
            merged_at=attrs["merged_at"],  # not in the hook; handlers read it from the API
            head_sha=commit.get("id"),
            source_branch=attrs["source_branch"],
            target_branch=attrs["target_branch"],
            commit_messages=(commit["message"],) if commit.get("message") else (),
            commits_changed=action in ("opened", "reopened") or (action == "edited" and bool(attrs["oldrev"])),
        )]


class GitLabNote(_Base):
    user = fields.Nested(GLUser, required=True)
    project = fields.Nested(GLProject, required=True)
    object_attributes = fields.Nested(GLNoteAttributes, required=True)
    issue = fields.Nested(GLIssueAttributes, load_default=None)
    merge_request = fields.Nested(GLMergeRequestAttributes, load_default=None)

    @post_load
    def make_events(self, data, **kwargs):
        note = data["object_attributes"]
        target = data["issue"] or data["merge_request"]
        if target is None or note["system"]:
            return []  # notes on commits/snippets, and GitLab's own system notes, are not for us
        action = {"create": "created", "update": "edited"}.get(note["action"], note["action"])
        common = _gitlab_common({**data, "labels": None}, target, action)
        return [CommentEvent(
            kind=COMMENT,
            **common,
            comment_id=note["id"],
            comment=note["note"] or "",
            commented_at=note["created_at"],
            comment_url=note["url"] or "",
            on_merge_request=data["merge_request"] is not None,
        )]
