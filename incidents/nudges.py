"""Reminders and nudges, the pure rules (issue 18): when a reminder is due and how long ago is worded,
working days and the nudge cadence, which action items are overdue, what a postmortem still lacks."""
from __future__ import annotations

from datetime import datetime, timedelta

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
