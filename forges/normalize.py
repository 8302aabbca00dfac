"""One table from (platform, webhook event) to the schema that normalizes it.

The receiver asks `is_handled` to decide whether to queue a delivery at all; the
worker calls `normalize` to turn the payload into Events.
"""
from __future__ import annotations

import re

from marshmallow import ValidationError

from forges import schemas, schemas_repository
from forges.events import Event

EVENT_SCHEMAS = {
    ("github", "issues"): schemas.GitHubIssues,
    ("github", "issue_comment"): schemas.GitHubIssueComment,
    ("github", "pull_request"): schemas.GitHubPullRequest,
    ("gitlab", "Issue Hook"): schemas.GitLabIssue,
    ("gitlab", "Confidential Issue Hook"): schemas.GitLabIssue,
    ("gitlab", "Note Hook"): schemas.GitLabNote,
    ("gitlab", "Confidential Note Hook"): schemas.GitLabNote,
    ("gitlab", "Merge Request Hook"): schemas.GitLabMergeRequest,
    # Issue 19: labels and the onboarding pull request on install; the config re-read on a push.
    ("github", "installation"): schemas_repository.GitHubInstallation,
    ("github", "installation_repositories"): schemas_repository.GitHubInstallation,
    ("github", "push"): schemas_repository.GitHubPush,
    ("gitlab", "Push Hook"): schemas_repository.GitLabPush,
}

# Acknowledged and deliberately not queued, with the reason.
IGNORED_EVENTS = {
    ("github", "ping"): "sent once when the hook is created; answered with pong",
    ("gitlab", "System Hook"): "instance-level events carry no incidents",
}


# Forge payloads nest about ten levels. The worker's parsers and `valid_text` recurse once or twice a
# level, so the receiver refuses deeper bodies with 400 rather than queueing a job the worker cannot run.
MAX_NESTING = 256


class PayloadError(ValueError):
    """The payload does not have the shape the forge documents for this event."""


def too_deep(body: bytes, payload) -> bool:
    """Whether the parsed body nests objects and arrays more than MAX_NESTING levels."""
    if body.count(b"{") + body.count(b"[") <= MAX_NESTING:  # C-speed bound that real payloads stay under
        return False
    level, depth = [payload], 1
    while level:
        if depth > MAX_NESTING:
            return True
        below: list = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value
            below.extend(child for child in children if isinstance(child, (dict, list)))
        level, depth = below, depth + 1
    return False


def is_handled(platform: str, event_name: str) -> bool:
    return (platform, event_name) in EVENT_SCHEMAS


def normalize(platform: str, event_name: str, payload: dict, delivery_id: str = "") -> list[Event]:
    """Events in a payload; an empty list for events we do not handle."""
    schema_class = EVENT_SCHEMAS.get((platform, event_name))
    if schema_class is None:
        return []
    try:
        loaded = schema_class().load(valid_text(payload))
    except ValidationError as exc:
        raise PayloadError(f"{platform} {event_name}: {exc.messages}") from exc
    events = loaded if isinstance(loaded, list) else [loaded]
    return [_with_delivery(e, delivery_id) for e in events]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value):
    """The payload with each lone surrogate replaced by U+FFFD.

    JSON may escape half an emoji ("\\ud83d", from text a forge cut short); Python reads it into a str
    that cannot be encoded as UTF-8, so it could be neither stored nor sent back to the forge."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: valid_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [valid_text(item) for item in value]
    return value


def _with_delivery(event: Event, delivery_id: str) -> Event:
    from dataclasses import replace

    return replace(event, delivery_id=delivery_id)
