"""Action items: the follow-ups of an incident, each with its owner, due date and linked issue.

An item is a task-list item anywhere in the actions section, or a plain top-level list item;
it is done when ticked or when its linked issue is closed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from incidents.markup import CHECKBOX, URL, as_text, path_start, without_comments
from incidents.sections import Span


@dataclass(frozen=True)
class ActionItem:
    """A follow-up action: done when ticked or when its linked issue is closed."""

    text: str
    done: bool
    owner: str | None
    due: date | None
    linked_issue: str | None
    line: int


# An item's owner `@login` (or `@group/team`), its `due 2026-12-01` and the issue it links to.
OWNER = re.compile(
    r"(?<![\w.@/`])@(?P<login>[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:/[A-Za-z0-9_.-]*[A-Za-z0-9_])?)"
)
DUE = re.compile(r"\b(?:due|deadline)(?:\s+(?:by|on)|\s*:)?\s*(?P<date>\d{4}-\d{1,2}-\d{1,2})\b", re.I)
ISSUE_REF = re.compile(
    rf"(?P<url>{URL}/(?:-/)?(?:issues|work_items)/\d+)\b"
    r"|(?<![\w/#&!])(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?#(?P<num>\d+)\b"
)
_ISSUE_URL = re.compile(
    r"^https?://[^/\s]+/(?P<path>[^\s?#]+?)/(?:-/)?(?:issues|work_items)/(?P<num>\d+)/?(?:[?#]\S*)?$", re.I)
_ISSUE_SHORT = re.compile(r"^(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?#(?P<num>\d+)$")


def read_actions(span: Span | None) -> tuple[ActionItem, ...]:
    """Task-list items anywhere in the section, and plain top-level list items."""
    if span is None:
        return ()
    actions = []
    for inline, _parent, item in span.found:
        if item is None or item.map is None:
            continue
        content = without_comments(inline.content).strip()
        box = CHECKBOX.match(content)
        if box is None and item.level != 1:
            continue  # nested plain bullets are notes on their action, not actions
        text = " ".join((content[box.end():] if box else content).split())
        if not text:
            continue
        actions.append(ActionItem(
            text=text,
            done=box is not None and box.group("mark") in "xX",
            owner=_owner(text),
            due=_due(text),
            linked_issue=_linked_issue(text),
            line=item.map[0] + 1,
        ))
    return tuple(actions)


# Each search below starts where its match can first be (the first `@`, `due` or `#`): run over a long
# actions section from every position, these searches were most of the time spent reading the items.

def _owner(text: str) -> str | None:
    at = text.find("@")
    match = OWNER.search(text, at) if at >= 0 else None
    return match.group("login") if match else None


def _due(text: str) -> date | None:
    start = 0
    if text.isascii():  # then IGNORECASE is lower-casing, and the word is where the lower case has it
        lower = text.lower()
        due, deadline = lower.find("due"), lower.find("deadline")
        if due < 0 and deadline < 0:
            return None
        start = deadline if due < 0 else due if deadline < 0 else min(due, deadline)
    match = DUE.search(text, start)
    if not match:
        return None
    try:
        year, month, day = match.group("date").split("-")
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _linked_issue(text: str) -> str | None:
    start = 0 if "://" in text else path_start(text, "#")  # without a URL the match ends in `#number`
    match = ISSUE_REF.search(text, start) if start >= 0 else None
    if not match:
        return None
    if match.group("url"):
        return match.group("url")
    return f"{match.group('path') or ''}#{match.group('num')}"


def issue_key(ref: str, home_repository: str | None = None) -> tuple[str | None, int] | None:
    """(repository path in lower case or None, number) for `#45`, `group/project#45` or an issue URL."""
    ref = as_text(ref).strip().strip("<>")
    match = _ISSUE_URL.match(ref) or _ISSUE_SHORT.match(ref)
    if not match:
        return None
    path = match.group("path") or home_repository
    return (path.strip("/").lower() if path else None), int(match.group("num"))


def same_issue(a: str, b: str, home_repository: str | None = None) -> bool:
    """Whether two issue references name the same issue; `#45` is in `home_repository`."""
    key_a, key_b = issue_key(a, home_repository), issue_key(b, home_repository)
    if key_a is None or key_b is None:
        return as_text(a).strip() == as_text(b).strip() and bool(as_text(a).strip())
    return key_a == key_b
