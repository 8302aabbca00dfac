"""What chat is told about an incident (issue 16): the view, what changed since chat was last told, the pinned
summary message, the announcements, and who hears them.

Pure. The view is what chat should show of the incident; the store keeps the last one told (as JSON), so the
next one is compared with it and only the differences are posted. Everything rendered here is the bot's own
Markdown, as in issue comments, with every piece of user text through `incidents.text.escape`; each chat
adapter turns it into its platform's format.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date
from typing import Any

from incidents.action_items import ActionItem
from incidents.config_model import ANNOUNCED, NotificationRule
from incidents.document import IncidentDocument
from incidents.metrics import format_elapsed
from incidents.model import Incident, Severity, Status, parse_severity
from incidents.summary import NEXT_STEP, ROLES
from incidents.text import escape, truncate_lines

CHANGE_KINDS = (*ANNOUNCED, "role", "timeline", "action")
MAX_LISTED = 10  # timeline entries or action items posted one by one; more are counted in one message
CHANNEL_PREFIX = "incident-"
MAX_CHANNEL_NAME = 80  # Slack's limit
SLACK_COMMAND = "/incident "


@dataclass(frozen=True)
class ChatView:
    """An incident as chat shows it. Times are UTC; texts are raw (escaped when rendered)."""

    title: str
    url: str
    status: str
    severity: str | None = None
    commander: str | None = None
    operations_lead: str | None = None
    communications_lead: str | None = None
    private: bool = False
    page_url: str | None = None  # the incident on the status page, once published
    open_actions: tuple[str, ...] = ()
    postmortem: str | None = None  # "complete" | "incomplete" | None (not judged yet)
    closed: bool = False
    timeline: tuple[str, ...] = ()  # "2026-12-03 14:05 UTC text"
    components: tuple[str, ...] = ()
    ttd: str | None = None  # elapsed times as the summary comment writes them, once known
    ttf: str | None = None
    ttr: str | None = None


@dataclass(frozen=True)
class Change:
    """One thing chat should hear: its kind (ANNOUNCED, or role, timeline, action) and a Markdown line."""

    kind: str
    text: str


def view_of(incident: Incident, document: IncidentDocument, page_url: str | None,
            postmortem: str | None = None, open_actions: Sequence[ActionItem] | None = None) -> ChatView:
    """The view of an incident and its parsed document. `open_actions`: the items still open when the caller
    knows more than the ticks (linked issues closed); by default the document's unticked items."""
    actions = open_actions if open_actions is not None else [a for a in document.actions if not a.done]
    return ChatView(
        title=incident.title, url=incident.url, status=incident.status.value,
        severity=incident.severity.value if incident.severity else None,
        commander=incident.commander, operations_lead=incident.operations_lead,
        communications_lead=incident.communications_lead, private=incident.private,
        page_url=None if incident.private else page_url or None,
        open_actions=tuple(a.text for a in actions), postmortem=postmortem,
        closed=incident.closed_at is not None,
        timeline=tuple(_timeline_line(entry) for entry in document.timeline),
        components=incident.components,
        ttd=_elapsed(incident.ttd_seconds), ttf=_elapsed(incident.ttf_seconds), ttr=_elapsed(incident.ttr_seconds),
    )


def _timeline_line(entry) -> str:
    text = f"[{entry.tag}] {entry.text}" if entry.tag else entry.text
    return f"{entry.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC {text}" if entry.at else text


def _elapsed(seconds: float | None) -> str | None:
    return format_elapsed(seconds) if seconds is not None else None


# --- the view as stored ---------------------------------------------------------------------

def to_json(view: ChatView) -> str:
    """The view as the store keeps it."""
    return json.dumps(asdict(view), sort_keys=True, ensure_ascii=False)


def from_json(text: str) -> ChatView:
    """A view stored by to_json; keys it no longer has are dropped and new ones take their defaults.
    Raises ValueError for text that is not a stored view."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a stored chat view is a JSON object")
    known = {f.name for f in fields(ChatView)}
    values: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                              for key, value in data.items() if key in known}
    try:
        return ChatView(**values)
    except TypeError as error:  # a required field is missing
        raise ValueError(str(error)) from None


# --- what changed ----------------------------------------------------------------------------

def changes(before: ChatView | None, after: ChatView) -> list[Change]:
    """What chat should hear, in order, going from the view it was last told to this one."""
    if before is None:
        return [Change("declared", f"**Incident declared:** {_title_link(after)}")]
    found = _status_changes(before, after)
    if before.severity != after.severity:
        found.append(Change("severity", f"**Severity:** {_severity(after)} (was {_severity(before)})"))
    for role, field in ROLES:
        if getattr(before, field) != getattr(after, field):
            found.append(Change("role", f"**{role}:** {_person(getattr(after, field))} "
                                        f"(was {_person(getattr(before, field))})"))
    found += _listed("timeline", "**Timeline:** {}", _added(before.timeline, after.timeline), "timeline entries")
    found += _listed("action", "**New action item:** {}", _added(before.open_actions, after.open_actions),
                     "new action items")
    found += _listed("action", "**No longer open:** {}", _added(after.open_actions, before.open_actions),
                     "action items no longer open")
    if after.page_url and not before.page_url:
        found.append(Change("published", f"**On the status page:** {_link(after.page_url, after.page_url)}"))
    if after.closed and not before.closed:
        found.append(Change("closed", "**The issue was closed.**" + _metrics_text(after, " ")))
    elif before.closed and not after.closed:
        found.append(Change("status", "**The issue was reopened.**"))
    return found


def _status_changes(before: ChatView, after: ChatView) -> list[Change]:
    if before.status == after.status:
        return []
    kind = "resolved" if after.status == Status.RESOLVED.value else "status"
    return [Change(kind, f"**Status:** {escape(after.status, 40)} (was {escape(before.status, 40)})")]


def _added(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """The items of `after` that `before` has not (as many times), in `after`'s order."""
    left = Counter(before)
    added = []
    for item in after:
        if left[item]:
            left[item] -= 1
        else:
            added.append(item)
    return added


def _listed(kind: str, template: str, items: list[str], what: str) -> list[Change]:
    shown = [Change(kind, template.format(escape(item, 300))) for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(Change(kind, f"… and {len(items) - MAX_LISTED} more {what}"))
    return shown


# --- rendering -------------------------------------------------------------------------------

_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]|`*_\\]+")


def _link(text: str, url: str | None) -> str:
    """`[text](url)`, or the escaped text alone when the URL is not a plain web address."""
    shown = escape(text, 200)
    return f"[{shown}]({url})" if url and _SAFE_URL.fullmatch(url) else shown


def _title_link(view: ChatView) -> str:
    return _link(view.title, view.url)


def _person(login: str | None) -> str:
    return escape(f"@{login}", 100) if login else "unassigned"  # shown, never a mention


def _severity(view: ChatView) -> str:
    if not view.severity:
        return "unknown"
    severity = parse_severity(view.severity)
    return severity.title if severity else escape(view.severity, 40)


def _metrics_text(view: ChatView, lead: str = "") -> str:
    parts = [f"**{name}** {escape(value, 40)}" for name, value in
             (("TTD", view.ttd), ("TTF", view.ttf), ("TTR", view.ttr)) if value]
    return lead + " · ".join(parts) if parts else ""


def pinned_summary(view: ChatView) -> str:
    """The pinned message: what the issue's summary comment says, for the channel. Same view, same text."""
    components = ", ".join(f"`{escape(c, 60)}`" for c in view.components) or "none named"
    lines = [
        f"**Incident:** {_title_link(view)}",
        f"**Status:** {escape(view.status, 40)} · **Severity:** {_severity(view)} · **Components:** {components}",
        " · ".join(f"**{role}:** {_person(getattr(view, field))}" for role, field in ROLES),
    ]
    if view.private:
        lines.append("**Private:** kept off the status page and announced only to private targets.")
    if view.page_url:
        lines.append(f"**Status page:** {_link(view.page_url, view.page_url)}")
    if view.open_actions:
        lines += ["", "**Open action items:**"]
        lines += truncate_lines([f"- {escape(text, 200)}" for text in view.open_actions], MAX_LISTED)
    if view.postmortem:
        lines += ["", f"**Postmortem:** {escape(view.postmortem, 40)}"]
    if _metrics_text(view):
        lines += ["", f"**Metrics:** {_metrics_text(view)}"]
    lines += ["", _next_step(view)]
    return "\n".join(lines)


def _next_step(view: ChatView) -> str:
    if view.closed:
        return "**Closed.** The issue stays the record; the postmortem lives in its body."
    try:
        step = NEXT_STEP[Status(view.status)]
    except ValueError:
        return ""
    return f"**Next step:** {step.format(cmd=SLACK_COMMAND)}"


_ANNOUNCEMENT_TITLES = {
    "declared": "Incident declared", "resolved": "Incident resolved", "closed": "Incident closed",
    "published": "Incident on the status page",
}


def announcement(view: ChatView, change: Change) -> tuple[str, str]:
    """An announcement for other chats (Apprise): its title, and a Markdown body with the title, status,
    severity, commander, the assigned developer, the issue's URL and the status page's."""
    if change.kind == "status":
        heading = f"Incident {escape(view.status, 40)}"
    elif change.kind == "severity":
        heading = f"Incident severity {_severity(view).lower()}"
    else:
        heading = _ANNOUNCEMENT_TITLES.get(change.kind, "Incident update")
    developer = view.operations_lead or view.commander
    lines = [
        f"**{escape(view.title, 200)}**",
        change.text,
        "",
        f"**Status:** {escape(view.status, 40)} · **Severity:** {_severity(view)}",
        f"**Commander:** {_person(view.commander)} · **Assigned developer:** {_person(developer)}",
        f"**Issue:** {_link(view.url, view.url)}",
    ]
    if view.page_url:
        lines.append(f"**Status page:** {_link(view.page_url, view.page_url)}")
    return f"{heading}: {escape(view.title, 200)}", "\n".join(lines)


# --- who hears what --------------------------------------------------------------------------

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}  # MAJOR_OUTAGE first: the worst


def _rank(severity: Severity | str | None) -> int | None:
    found = parse_severity(str(severity)) if severity else None
    return _SEVERITY_RANK[found] if found else None


def targets_for(rules: Iterable[NotificationRule], private_targets: Iterable[str], change_kind: str,
                severity: Severity | str | None, private: bool) -> list[str]:
    """The target names that hear about this change, each once, in the rules' order.

    A private incident reaches only targets the server marks private. A rule's `min_severity` passes an
    incident that severe or worse; an incident without a severity passes no minimum.
    """
    private_names = set(private_targets)
    rank = _rank(severity)
    names: list[str] = []
    for rule in rules:
        if change_kind not in rule.events or rule.target in names:
            continue
        if private and rule.target not in private_names:
            continue
        least = _rank(rule.min_severity)
        if rule.min_severity is not None and (rank is None or least is None or rank > least):
            continue
        names.append(rule.target)
    return names


def slack_login(users_map: Mapping[str, str], user_id: str | None, email: str | None) -> str | None:
    """The forge login a Slack user acts as: by their user id, then by their e-mail in any case."""
    if user_id and users_map.get(user_id):
        return users_map[user_id].removeprefix("@")
    if email:
        wanted = email.strip().lower()
        for key, login in users_map.items():
            if "@" in key and key.lower() == wanted and login:
                return login.removeprefix("@")
    return None


def channel_name(day: date, what: str) -> str:
    """`incident-2026-12-03-db-is-down`: lower case, letters, digits and dashes, at most 80 characters."""
    prefix = f"{CHANNEL_PREFIX}{day:%Y-%m-%d}-"
    ascii_text = unicodedata.normalize("NFKD", what).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[: MAX_CHANNEL_NAME - len(prefix)].rstrip("-")
    return prefix + (slug or "incident")
