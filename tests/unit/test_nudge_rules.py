"""The pure rules of reminders and nudges (incidents/nudges.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.model import Incident
from incidents.nudges import elapsed_words, reminder_due_in


@pytest.mark.parametrize(("minutes", "words"), [
    (0, "0 minutes"), (1, "1 minute"), (2, "2 minutes"), (119, "119 minutes"), (120, "2 hours"),
    (60 * 25, "25 hours"), (60 * 48, "2 days"), (60 * 24 * 7, "7 days")])
def test_elapsed_is_worded_with_the_right_number(minutes, words):
    assert elapsed_words(timedelta(minutes=minutes, seconds=30)) == words


def test_a_reminder_is_due_an_interval_after_the_last_update_and_never_in_the_past():
    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    incident = Incident("github", "o/r", 2, "t", reported_at=now - timedelta(minutes=20))
    assert reminder_due_in(incident, hour, now) == timedelta(minutes=40)
    assert reminder_due_in(incident.with_changes(last_update_at=now - 2 * hour), hour, now) == timedelta(0)
    assert reminder_due_in(Incident("github", "o/r", 3, "t"), hour, now) == hour
