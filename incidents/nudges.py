"""Reminders and nudges, the pure rules (issue 18): when a reminder is due and how long ago is worded,
working days and the nudge cadence, which action items are overdue, what a postmortem still lacks."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from incidents.action_items import ActionItem, issue_key
from incidents.command_args import BadArgs
from incidents.config_fields import parse_duration
from incidents.model import Incident


def reminder_due_in(incident: Incident, interval: timedelta, now: datetime) -> timedelta:
    """How long until the incident's next reminder: `interval` after its last update (none yet: its report);
    an overdue one is due now."""
    last = incident.last_update_at or incident.reported_at or now
    return max(last + interval - now, timedelta(0))


def _counted(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def elapsed_words(delta: timedelta) -> str:
    """"1 minute", "2 minutes", "1 hour", "3 hours", "2 days": minutes below two hours, hours below two days."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 120:
        return _counted(minutes, "minute")
    hours = minutes // 60
    return _counted(hours, "hour") if hours < 48 else _counted(hours // 24, "day")


# ---------------------------------------------------------------- nudges after resolve

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WHOLE_INCIDENT = "*"  # the nudge key a snooze of every nudge of an incident is kept under
POSTMORTEM = "postmortem"
ACTION_NUDGE = ("{who}, this action item of {incident} was due **{due}** and is not done yet:\n\n> {text}\n\n"
                "Tick it in the incident (or close its issue) when it is done, or pause these reminders with "
                "`{prefix}snooze <duration>`, e.g. `{prefix}snooze 3d`.")
POSTMORTEM_NUDGE = ("{who}, this incident was resolved {days} working days ago and its postmortem is still "
                    "incomplete. Still to write: {sections}.\n\nFill them in the issue body, or pause these "
                    "reminders with `{prefix}snooze <duration>`.")


@dataclass(frozen=True)
class NudgesConfig:
    """When action items past due and unwritten postmortems get a comment (issue 18)."""

    enabled: bool = True
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    repeat_every_days: int = 7  # after the first nudge of an item: weekly
    postmortem_after: int = 5  # working days after resolve


@dataclass(frozen=True)
class NudgeState:
    """What the store remembers of one item's nudges."""

    last_at: datetime | None = None
    snoozed_until: datetime | None = None


def is_working_day(day: date, working_days: tuple[str, ...]) -> bool:
    return WEEKDAYS[day.weekday()] in working_days


def add_working_days(day: date, count: int, working_days: tuple[str, ...]) -> date:
    """The `count`th working day after `day` (count 1: the next working day); `day` itself with count 0."""
    if not working_days:
        return day + timedelta(days=count)
    while count > 0:
        day += timedelta(days=1)
        count -= is_working_day(day, working_days)
    return day


def overdue_actions(actions: Sequence[ActionItem], today: date) -> list[ActionItem]:
    """Items not done whose due date is before today (the repository's today)."""
    return [a for a in actions if not a.done and a.due is not None and a.due < today]


def action_key(action: ActionItem) -> str:
    """An item's nudge key: its words, so moving it in the body keeps its state (a new text is a new item)."""
    return "action:" + hashlib.sha1(" ".join(action.text.lower().split()).encode()).hexdigest()[:20]


def nudge_due(first_day: date, state: NudgeState, now: datetime, zone: tzinfo, config: NudgesConfig) -> bool:
    """Whether an item gets its nudge now: from `first_day` on, on working days, not while snoozed, then every
    `repeat_every_days` days after its last one — never twice on one day."""
    today = now.astimezone(zone).date()
    if not config.enabled or today < first_day or not is_working_day(today, config.working_days):
        return False
    if state.snoozed_until is not None and now < state.snoozed_until:
        return False
    if state.last_at is None:
        return True
    return (today - state.last_at.astimezone(zone).date()).days >= max(config.repeat_every_days, 1)


def combined(state: NudgeState | None, whole: NudgeState | None) -> NudgeState:
    """An item's state with the incident-wide snooze applied."""
    state, whole = state or NudgeState(), whole or NudgeState()
    snoozes = [t for t in (state.snoozed_until, whole.snoozed_until) if t is not None]
    return NudgeState(state.last_at, max(snoozes) if snoozes else None)


def missing_sections(findings: Sequence) -> list[str]:
    """The postmortem sections its error findings name, in order, once each (a finding of no section: "other")."""
    names: list[str] = []
    for finding in findings:
        name = finding.section or "other"
        if finding.severity == "error" and name not in names:
            names.append(name)
    return names


SNOOZE_LONGEST = timedelta(days=90)
BAD_SNOOZE = "give how long, such as `3d`, `1w` or `12h` (at most 90 days)."


def snooze_args(rest: str, **_: object) -> dict[str, timedelta]:
    """`/snooze <duration>`: 3d, 1w, 12h, `2 days` (1 minute to 90 days)."""
    text = rest.strip().lower()
    weeks = text[:-1] if text.endswith("w") else ""
    try:
        duration = timedelta(weeks=float(weeks)) if weeks.replace(".", "", 1).isdigit() else parse_duration(text)
    except ValueError:
        raise BadArgs(BAD_SNOOZE) from None
    if not timedelta(minutes=1) <= duration <= SNOOZE_LONGEST:
        raise BadArgs(BAD_SNOOZE)
    return {"duration": duration}


def snoozed_keys(actions: Sequence[ActionItem], login: str, *, in_charge: bool,
                 follow_up: tuple[str, int] | None, home_repository: str) -> list[str]:
    """What `/snooze` by `login` pauses: everything, for the commander or a maintainer on the incident; on a
    follow-up issue, its items; for anyone else only the open items they own. Empty: nothing of theirs."""
    if in_charge and follow_up is None:
        return [WHOLE_INCIDENT]
    keys = []
    for action in actions:
        if action.done:
            continue
        linked = issue_key(action.linked_issue, home_repository) if action.linked_issue else None
        if follow_up is not None and linked != (follow_up[0].lower(), follow_up[1]):
            continue
        if in_charge or (action.owner or "").lower() == login.lower():
            keys.append(action_key(action))
    return keys
