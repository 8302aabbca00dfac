"""The pure rules of reminders and nudges (incidents/nudges.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from checks.rules import Finding
from incidents.action_items import ActionItem
from incidents.command_args import BadArgs
from incidents.model import Incident
from incidents.nudges import (
    WHOLE_INCIDENT,
    NudgesConfig,
    NudgeState,
    action_key,
    add_working_days,
    combined,
    elapsed_words,
    missing_sections,
    nudge_due,
    overdue_actions,
    reminder_due_in,
    snooze_args,
    snoozed_keys,
)
from incidents.summary import render_summary


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


WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
UTCZ = UTC


def test_working_days_skip_the_weekend():
    friday = date(2026, 12, 4)
    assert add_working_days(friday, 1, WORKDAYS) == date(2026, 12, 7)  # the next Monday
    assert add_working_days(friday, 5, WORKDAYS) == date(2026, 12, 11)
    assert add_working_days(friday, 0, WORKDAYS) == friday
    assert add_working_days(friday, 1, ("sun",)) == date(2026, 12, 6)


def test_a_nudge_from_its_first_day_on_working_days_once_then_weekly_and_not_while_snoozed():
    config, first = NudgesConfig(), date(2026, 12, 2)
    wednesday = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert not nudge_due(first, NudgeState(), wednesday - timedelta(days=1), UTCZ, config)
    assert nudge_due(first, NudgeState(), wednesday, UTCZ, config)
    assert not nudge_due(first, NudgeState(last_at=wednesday), wednesday + timedelta(hours=8), UTCZ, config)
    assert not nudge_due(first, NudgeState(last_at=wednesday), wednesday + timedelta(days=6), UTCZ, config)
    assert nudge_due(first, NudgeState(last_at=wednesday), wednesday + timedelta(days=7), UTCZ, config)
    assert not nudge_due(first, NudgeState(), datetime(2026, 12, 5, 9, 0, tzinfo=UTC), UTCZ, config)  # Saturday
    snoozed = NudgeState(snoozed_until=wednesday + timedelta(days=1))
    assert not nudge_due(first, snoozed, wednesday, UTCZ, config)
    assert nudge_due(first, snoozed, wednesday + timedelta(days=1), UTCZ, config)
    assert not nudge_due(first, NudgeState(), wednesday, UTCZ, NudgesConfig(enabled=False))


def test_the_whole_incidents_snooze_applies_to_each_item():
    later = datetime(2026, 12, 9, tzinfo=UTC)
    assert combined(NudgeState(), NudgeState(snoozed_until=later)).snoozed_until == later
    assert combined(None, None) == NudgeState()


def action(text, owner=None, due=None, done=False, linked=None):
    return ActionItem(text=text, done=done, owner=owner, due=due, linked_issue=linked, line=1)


def test_overdue_is_past_its_due_date_and_not_done():
    items = [action("a", due=date(2026, 12, 1)), action("b", due=date(2026, 12, 2)),
             action("c", due=date(2026, 11, 1), done=True), action("d")]
    assert [a.text for a in overdue_actions(items, date(2026, 12, 2))] == ["a"]
    assert action_key(action("Write  the Runbook")) == action_key(action("write the runbook"))


def test_snooze_takes_a_duration_and_pauses_what_the_person_may():
    assert snooze_args("3d") == {"duration": timedelta(days=3)}
    assert snooze_args("1w") == {"duration": timedelta(weeks=1)}
    assert snooze_args("12 hours") == {"duration": timedelta(hours=12)}
    for bad in ("", "soon", "91d", "0m"):
        with pytest.raises(BadArgs):
            snooze_args(bad)
    items = [action("mine", owner="carol"), action("theirs", owner="dan", linked="team/backlog#2"),
             action("done", owner="carol", done=True)]
    mine = snoozed_keys(items, "Carol", in_charge=False, follow_up=None, home_repository="o/r")
    assert mine == [action_key(items[0])]
    assert snoozed_keys(items, "x", in_charge=True, follow_up=None, home_repository="o/r") == [WHOLE_INCIDENT]
    assert snoozed_keys(items, "x", in_charge=True, follow_up=("team/backlog", 2), home_repository="o/r") == \
        [action_key(items[1])]
    assert snoozed_keys(items, "x", in_charge=False, follow_up=None, home_repository="o/r") == []


def test_missing_sections_are_the_error_findings_sections_once_each():
    findings = [Finding("missing-section", "error", "Actions", None, "m"),
                Finding("missing-taxonomy", "warning", "Root cause", None, "m"),
                Finding("empty-section", "error", "Timeline", 3, "m"),
                Finding("too-few-whys", "error", "Actions", 4, "m")]
    assert missing_sections(findings) == ["Actions", "Timeline"]


def test_the_summary_marks_open_items_past_their_due_date():
    incident = Incident("github", "o/r", 2, "db is down")
    items = [action("late", owner="carol", due=date(2026, 12, 1)), action("fine", due=date(2026, 12, 9))]
    text = render_summary(incident, open_actions=items, today=date(2026, 12, 2))
    assert "late (@carol) — **overdue** (due 2026-12-01)" in text and "fine" in text
    assert text.count("overdue") == 1
    assert "overdue" not in render_summary(incident, open_actions=items)
