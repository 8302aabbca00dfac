"""Scheduled maintenance, pure (issue 18 item 1): the window a `maintenance` issue's form or template declares,
its status at a moment, which notices are due, and its shape in the hosted status-page API.

The issue body is the record: `### Start`, `### End`, `### Components` and `### Message` sections, as GitHub's
issue form renders them and as the GitLab template writes them. A time without an offset is in the
repository's timezone. The status follows the clock: `scheduled` until the start, `in_progress` until the end
(or until the issue is closed early), then `completed`; removing the label makes it `cancelled`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from incidents.config_model import Component
from incidents.status_page import local_time

MAINTENANCE_LABEL = "maintenance"
SCHEDULED, IN_PROGRESS, COMPLETED, CANCELLED = "scheduled", "in_progress", "completed", "cancelled"
UNDER_MAINTENANCE = "under_maintenance"  # a component's state during the window (the hosted API's value)
# The notices a subscriber gets, in order; each once. "reminder" goes `remind_before` ahead of the start.
STEPS = ("scheduled", "reminder", "in_progress", "completed")
# A window moved after "scheduled" was told is told again, once per move: "rescheduled-1", "rescheduled-2", …
RESCHEDULED = "rescheduled"
STEP_TITLE = {"scheduled": "Scheduled", "rescheduled": "Rescheduled", "reminder": "Starting soon",
              "in_progress": "In progress", "completed": "Completed", "cancelled": "Cancelled"}
DEFAULT_BODY = {
    "scheduled": "Maintenance is scheduled from {start} to {end}.",
    "rescheduled": "The maintenance is rescheduled: it now runs from {start} to {end}.",
    "reminder": "Maintenance starts at {start}.",
    "in_progress": "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
    "completed": "The scheduled maintenance has been completed.",
    "cancelled": "The scheduled maintenance has been cancelled.",
}
NO_RESPONSE = "_No response_"  # what GitHub's issue form writes for an empty optional field
_HEADING = re.compile(r"^#{2,4}\s+(.+?)\s*#*\s*$")
_CHECKBOX = re.compile(r"^\s*[-*]\s+\[([ xX])\]\s+(.+?)\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_QUICK_ACTION = re.compile(r"^/label\b")
_SECTION_NAMES = {"start": "start", "starts": "start", "end": "end", "ends": "end", "components": "components",
                  "affected components": "components", "message": "message", "description": "message"}


@dataclass(frozen=True)
class Window:
    """What the issue declares: when, which components, what the public is told."""

    start: datetime
    end: datetime
    components: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Maintenance:
    """A maintenance as the store keeps it: the issue's window and what has happened to it."""

    id: str  # public id
    platform: str
    repository: str
    number: int
    name: str
    window: Window
    installation_id: int | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None  # the issue was closed: completed then, if it had not ended
    cancelled_at: datetime | None = None  # the label was removed
    told: dict[str, datetime] = field(default_factory=dict, compare=False)  # step -> when subscribers heard
    reschedules: int = 0  # how often its times moved after subscribers heard of it

    def status(self, now: datetime) -> str:
        if self.cancelled_at is not None:
            return CANCELLED
        if now >= self.ends_at:
            return COMPLETED
        return IN_PROGRESS if now >= self.window.start else SCHEDULED

    @property
    def ends_at(self) -> datetime:
        """The end, or the early close."""
        return min(self.window.end, self.closed_at) if self.closed_at else self.window.end

    def active(self, now: datetime) -> bool:
        return self.status(now) == IN_PROGRESS

    def step_times(self, remind_before: timedelta) -> dict[str, datetime]:
        """When each notice is due."""
        created = self.created_at or self.window.start
        times = {"scheduled": created, "reminder": self.window.start - remind_before,
                 "in_progress": self.window.start, "completed": self.ends_at}
        if self.ends_at <= self.window.start:  # closed before it began: it never starts
            del times["reminder"], times["in_progress"]
        return times

    def due_steps(self, now: datetime, remind_before: timedelta) -> list[str]:
        """The notices due by `now` and not yet told, in order. A reminder whose moment passed with the start
        (or that would come before the announcement) is skipped; a cancelled maintenance owes only its notice."""
        if self.cancelled_at is not None:
            return ["cancelled"] if "scheduled" in self.told and "cancelled" not in self.told else []
        times = self.step_times(remind_before)
        due = [s for s in STEPS if s in times and s not in self.told and times[s] <= now]
        if "reminder" in due and (now >= self.window.start or times["reminder"] < times["scheduled"]):
            due.remove("reminder")
        moved = f"{RESCHEDULED}-{self.reschedules}"
        if self.reschedules and moved not in self.told and "scheduled" in self.told \
                and "completed" not in self.told and "completed" not in due:  # the latest window only
            due.insert(0, moved)
        return due

    def next_moment(self, now: datetime, remind_before: timedelta) -> datetime | None:
        """The next time something is due after `now`; None once completed or cancelled."""
        if self.cancelled_at is not None:
            return None
        later = [t for s, t in self.step_times(remind_before).items() if s not in self.told and t > now]
        return min(later) if later else None


# --- the issue body ---------------------------------------------------------------------------

def sections(body: str) -> dict[str, str]:
    """The body's known `###` sections (start, end, components, message), their text without HTML comments."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in _COMMENT.sub("", body or "").splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = _SECTION_NAMES.get(heading.group(1).strip().lower().rstrip(":"))
            if current:
                found[current] = []
            continue
        if current and not _QUICK_ACTION.match(line):  # GitLab drops `/label …` on creation; a copy may not
            found[current].append(line)
    return {name: "\n".join(lines).strip() for name, lines in found.items()}


def parse_time(text: str, zone: tzinfo) -> datetime | None:
    """`2026-12-04 02:00`, `2026-12-04T02:00+01:00`, `…Z`: aware; without an offset, in `zone`."""
    text = " ".join(text.replace("`", "").split())
    if not text or text == NO_RESPONSE:
        return None
    text = re.sub(r"\s*(UTC|GMT)$", "+00:00", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_components(text: str, known: Sequence[Component]) -> tuple[str, ...]:
    """Ticked checkboxes (`- [x] Public API (api)`), or ids and names separated by commas or lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    boxes = [_CHECKBOX.match(line) for line in lines]
    if any(boxes):
        words = [b.group(2) for b in boxes if b and b.group(1) in "xX"]
    else:
        words = [w for line in lines for w in line.split(",")]
    by_key = {c.id.lower(): c.id for c in known} | {c.name.lower(): c.id for c in known}
    chosen: list[str] = []
    for word in (w.strip() for w in words):
        bracketed = re.search(r"\(([^()]+)\)\s*$", word)
        key = (bracketed.group(1) if bracketed and bracketed.group(1).lower() in by_key else word).lower()
        if key in by_key and by_key[key] not in chosen:
            chosen.append(by_key[key])
    return tuple(chosen)


def parse_window(body: str, zone: tzinfo, known: Sequence[Component] = ()) -> Window | str:
    """The window the body declares, or why it declares none (a sentence for the issue)."""
    found = sections(body)
    start, end = parse_time(found.get("start", ""), zone), parse_time(found.get("end", ""), zone)
    if start is None or end is None:
        missing = " and ".join(n for n, t in (("### Start", start), ("### End", end)) if t is None)
        return (f"No maintenance window: {missing} must give a time such as `2026-12-04 02:00` "
                "(the repository's timezone) or `2026-12-04T02:00+01:00`.")
    if end <= start:
        return "No maintenance window: the end must come after the start."
    message = found.get("message", "")
    return Window(start, end, parse_components(found.get("components", ""), known),
                  "" if message == NO_RESPONSE else message)


# --- the hosted status-page API ---------------------------------------------------------------

def under_maintenance(maintenances: Iterable[Maintenance], now: datetime) -> set[str]:
    """The components inside an active maintenance window."""
    return {c for m in maintenances if m.active(now) for c in m.window.components}


def with_maintenance(states: dict[str, str], busy: set[str]) -> dict[str, str]:
    """Component states with those under maintenance set so, unless an outage shows (it is worse news)."""
    return {c: UNDER_MAINTENANCE if c in busy and state == "operational" else state for c, state in states.items()}


def components_with_maintenance(components: list[dict], busy: set[str]) -> list[dict]:
    """The API's components list with those under maintenance (and operational groups of them) marked."""
    marked = [{**c, "status": UNDER_MAINTENANCE} if c["id"] in busy and c["status"] == "operational" else dict(c)
              for c in components]
    for component in marked:
        if component.get("group") and component["status"] == "operational" \
                and busy & set(component.get("components") or ()):
            component["status"] = UNDER_MAINTENANCE
    return marked


def updates(maintenance: Maintenance, now: datetime, zone: tzinfo) -> list[tuple[str, str, datetime]]:
    """(status, body, at) of each update the public sees, oldest first (times in the page's `zone`)."""
    start, end = maintenance.window.start, maintenance.ends_at
    body = maintenance.window.message or DEFAULT_BODY["scheduled"].format(
        start=local_time(start, zone), end=local_time(maintenance.window.end, zone))
    shown = [(SCHEDULED, body, maintenance.created_at or start)]
    moved = maintenance.told.get(f"{RESCHEDULED}-{maintenance.reschedules}")
    if moved is not None:
        shown.append((SCHEDULED, DEFAULT_BODY[RESCHEDULED].format(
            start=local_time(start, zone), end=local_time(maintenance.window.end, zone)), moved))
    if maintenance.cancelled_at is not None:
        return [*shown, (CANCELLED, DEFAULT_BODY["cancelled"], maintenance.cancelled_at)]
    if now >= start:
        shown.append((IN_PROGRESS, DEFAULT_BODY["in_progress"], start))
    if now >= end:
        shown.append((COMPLETED, DEFAULT_BODY["completed"], end))
    return sorted(shown, key=lambda update: update[2])  # a window extended while in progress moves after its start


def maintenance_json(maintenance: Maintenance, page, now: datetime, shortlink: str, components: list[dict],
                     stamp) -> dict:
    """The maintenance in the hosted API's scheduled-maintenance shape: an incident's fields with
    `scheduled_for`, `scheduled_until` and a maintenance status. The API knows no `cancelled` status: a
    cancelled maintenance is `completed` there, its last update saying it was cancelled."""
    zone, status = page.zone, maintenance.status(now)
    names = {c.id: c.name for c in page.components}
    shown = updates(maintenance, now, zone)
    listed = {c["id"]: c for c in components}
    api_updates = []
    for position, (step, body, at) in enumerate(shown):
        new = UNDER_MAINTENANCE if step == IN_PROGRESS else "operational"
        old = UNDER_MAINTENANCE if step in (COMPLETED,) else "operational"
        api_updates.append({
            "id": f"{maintenance.id}-{position}", "incident_id": maintenance.id,
            "status": COMPLETED if step == CANCELLED else step, "body": body,
            "created_at": stamp(at, zone), "updated_at": stamp(at, zone), "display_at": stamp(at, zone),
            "affected_components": [{"code": c, "name": names.get(c, c), "old_status": old, "new_status": new}
                                    for c in maintenance.window.components],
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None})
    done = status in (COMPLETED, CANCELLED)
    return {
        "id": maintenance.id, "page_id": page.slug, "name": maintenance.name,
        "status": COMPLETED if status == CANCELLED else status, "impact": "maintenance", "shortlink": shortlink,
        "created_at": stamp(maintenance.created_at or maintenance.window.start, zone),
        "started_at": stamp(maintenance.window.start, zone), "updated_at": stamp(shown[-1][2], zone),
        "monitoring_at": None, "resolved_at": stamp(shown[-1][2], zone) if done else None,
        "scheduled_for": stamp(maintenance.window.start, zone),
        "scheduled_until": stamp(maintenance.window.end, zone),
        "incident_updates": api_updates[::-1],  # newest first, as the API lists them
        "components": [listed[c] for c in maintenance.window.components if c in listed],
    }


def upcoming(maintenances: Iterable[Maintenance], now: datetime) -> list[Maintenance]:
    return sorted((m for m in maintenances if m.status(now) == SCHEDULED), key=lambda m: m.window.start)


def active(maintenances: Iterable[Maintenance], now: datetime) -> list[Maintenance]:
    return sorted((m for m in maintenances if m.status(now) == IN_PROGRESS), key=lambda m: m.window.start)


def step_kind(step: str) -> str:
    """The kind of a notice step: `rescheduled-2` is a `rescheduled`, the others are their own."""
    return RESCHEDULED if step.startswith(f"{RESCHEDULED}-") else step


def step_title(step: str) -> str:
    """How a notice names its step: `Scheduled`, `Rescheduled`, `Starting soon`, …"""
    return STEP_TITLE[step_kind(step)]


def notice_body(maintenance: Maintenance, step: str, zone: tzinfo, local_time) -> str:
    """What a subscriber reads for one step."""
    start, end = local_time(maintenance.window.start, zone), local_time(maintenance.window.end, zone)
    text = DEFAULT_BODY[step_kind(step)].format(start=start, end=end)
    if step == "scheduled" and maintenance.window.message:
        text = f"{maintenance.window.message}\n\n{DEFAULT_BODY['scheduled'].format(start=start, end=end)}"
    return text
