"""Scheduled maintenance, pure: the window read from the form and the template, its status at a moment, the
notices due, and the hosted API's scheduled-maintenance shape."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import yaml

from incidents.config_model import Component
from incidents.maintenance import (
    Maintenance,
    Window,
    components_with_maintenance,
    maintenance_json,
    parse_window,
    step_title,
    under_maintenance,
)
from incidents.status_page import StatusPage, components_json, stamp
from issue_templates.render import GITHUB_MAINTENANCE, GITLAB_MAINTENANCE, render_templates

BERLIN = ZoneInfo("Europe/Berlin")
COMPONENTS = (Component("api", "Public API", "", None), Component("web", "Website", "", None))
# What GitHub writes into the issue body from the maintenance form (`### label`, `_No response_` when empty).
FORM_BODY = """### Start

2026-12-04 02:00

### End

2026-12-04T03:00+01:00

### Components

- [X] Public API (api)
- [ ] Website (web)

### Message

_No response_
"""
HOUR = timedelta(hours=1)


def test_the_form_body_gives_the_window_in_the_repository_timezone():
    window = parse_window(FORM_BODY, BERLIN, COMPONENTS)
    assert window == Window(datetime(2026, 12, 4, 1, 0, tzinfo=UTC), datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
                            ("api",), "")


def test_the_gitlab_template_filled_in_gives_the_window():
    text = render_templates("gitlab", components=COMPONENTS)[GITLAB_MAINTENANCE]
    text = text.replace("- [ ] Website (web)", "- [x] Website (web)").replace(
        "the notices). -->\n", "the notices). -->\nDatabase upgrade.\n")
    window = parse_window(text, BERLIN, COMPONENTS)
    assert window.components == ("web",) and window.message == "Database upgrade."
    assert window.start == datetime(2026, 12, 4, 2, 0, tzinfo=BERLIN)


def test_the_github_form_carries_the_label_and_the_components():
    form = yaml.safe_load(render_templates("github", components=COMPONENTS)[GITHUB_MAINTENANCE])
    assert form["labels"] == ["maintenance"]
    [boxes] = [e for e in form["body"] if e.get("id") == "components"]
    assert [o["label"] for o in boxes["attributes"]["options"]] == ["Public API (api)", "Website (web)"]
    assert [e["attributes"]["label"] for e in form["body"] if e["type"] != "markdown"] == \
        ["Start", "End", "Components", "Message"]


def test_a_missing_or_backwards_window_says_why():
    assert "### End" in parse_window("### Start\n\n2026-12-04 02:00\n", UTC)
    assert "after the start" in parse_window("### Start\n\n2026-12-04 02:00\n\n### End\n\n2026-12-04 01:00\n", UTC)
    names = parse_window("### Start\n\n2026-12-04 02:00Z\n\n### End\n\n2026-12-04 03:00 UTC\n\n"
                         "### Components\n\nwebsite, api, nonsense\n", BERLIN, COMPONENTS)
    assert names.components == ("web", "api") and names.start.utcoffset() == timedelta(0)


def maintenance(**changes) -> Maintenance:
    window = Window(datetime(2026, 12, 4, 2, tzinfo=UTC), datetime(2026, 12, 4, 3, tzinfo=UTC), ("api",), "")
    fields = dict(id="m1", platform="github", repository="o/r", number=5, name="DB upgrade", window=window,
                  created_at=datetime(2026, 12, 3, 9, tzinfo=UTC))
    return Maintenance(**{**fields, **changes})


def test_status_follows_the_clock_closing_and_cancelling():
    m = maintenance()
    assert [m.status(datetime(2026, 12, 4, h, tzinfo=UTC)) for h in (1, 2, 3)] == \
        ["scheduled", "in_progress", "completed"]
    closed = maintenance(closed_at=datetime(2026, 12, 4, 2, 30, tzinfo=UTC))
    assert closed.status(datetime(2026, 12, 4, 2, 40, tzinfo=UTC)) == "completed"
    assert maintenance(cancelled_at=datetime(2026, 12, 4, 1, tzinfo=UTC)).status(m.window.start) == "cancelled"


def test_each_notice_is_due_once_in_order_and_a_late_reminder_is_skipped():
    m = maintenance()
    assert m.due_steps(datetime(2026, 12, 3, 9, tzinfo=UTC), HOUR) == ["scheduled"]
    told = maintenance(told={"scheduled": m.created_at})
    assert told.next_moment(datetime(2026, 12, 3, 9, tzinfo=UTC), HOUR) == datetime(2026, 12, 4, 1, tzinfo=UTC)
    assert told.due_steps(datetime(2026, 12, 4, 1, tzinfo=UTC), HOUR) == ["reminder"]
    assert told.due_steps(datetime(2026, 12, 4, 2, 5, tzinfo=UTC), HOUR) == ["in_progress"]  # reminder too late
    late = maintenance(created_at=datetime(2026, 12, 4, 1, 30, tzinfo=UTC))
    assert late.due_steps(datetime(2026, 12, 4, 1, 30, tzinfo=UTC), HOUR) == ["scheduled"]
    assert late.next_moment(datetime(2026, 12, 4, 1, 30, tzinfo=UTC), HOUR) == m.window.start
    early = maintenance(closed_at=datetime(2026, 12, 4, 0, tzinfo=UTC), told={"scheduled": m.created_at})
    assert early.due_steps(datetime(2026, 12, 4, 0, tzinfo=UTC), HOUR) == ["completed"]
    assert early.next_moment(datetime(2026, 12, 4, 0, tzinfo=UTC), HOUR) is None  # it never starts
    cancelled = maintenance(cancelled_at=datetime(2026, 12, 4, tzinfo=UTC), told={"scheduled": m.created_at})
    assert cancelled.due_steps(datetime(2026, 12, 4, tzinfo=UTC), HOUR) == ["cancelled"]


def test_the_api_shape_and_components_under_maintenance():
    page = StatusPage("hello", "Hello", "UTC", COMPONENTS, "github", "o/r")
    now = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    m = maintenance()
    components = components_with_maintenance(components_json(page, [], now), under_maintenance([m], now))
    assert {c["id"]: c["status"] for c in components} == {"api": "under_maintenance", "web": "operational"}
    shown = maintenance_json(m, page, now, "https://x/status/hello/", components, stamp)
    assert shown["status"] == "in_progress" and shown["impact"] == "maintenance"
    assert shown["scheduled_for"] == "2026-12-04T02:00:00.000+00:00"
    assert shown["scheduled_until"] == "2026-12-04T03:00:00.000+00:00"
    assert [u["status"] for u in shown["incident_updates"]] == ["in_progress", "scheduled"]
    assert shown["incident_updates"][0]["affected_components"] == [
        {"code": "api", "name": "Public API", "old_status": "operational", "new_status": "under_maintenance"}]
    assert [c["id"] for c in shown["components"]] == ["api"] and shown["resolved_at"] is None
    done = maintenance_json(m, page, datetime(2026, 12, 4, 4, tzinfo=UTC), "u", components, stamp)
    assert done["status"] == "completed" and done["resolved_at"] == "2026-12-04T03:00:00.000+00:00"


def test_a_maintenance_without_a_message_shows_its_times_on_the_page_not_placeholders():
    page = StatusPage("hello", "Hello", "Europe/Berlin", COMPONENTS, "github", "o/r")
    shown = maintenance_json(maintenance(), page, datetime(2026, 12, 3, 12, tzinfo=UTC), "u", [], stamp)
    [scheduled] = shown["incident_updates"]
    assert scheduled["body"] == "Maintenance is scheduled from Dec 04, 2026 03:00 CET to Dec 04, 2026 04:00 CET."


def test_a_moved_window_is_told_once_per_move_before_what_else_is_due_and_never_after_the_end():
    told = {"scheduled": datetime(2026, 12, 3, 9, tzinfo=UTC)}
    early = datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert maintenance(told=told, reschedules=1).due_steps(early, HOUR) == ["rescheduled-1"]
    assert maintenance(told={**told, "rescheduled-1": early}, reschedules=1).due_steps(early, HOUR) == []
    assert maintenance(told={**told, "rescheduled-1": early}, reschedules=2).due_steps(early, HOUR) == [
        "rescheduled-2"]  # only the newest window: one told while an older was pending is not repeated
    assert maintenance(reschedules=1).due_steps(early, HOUR) == ["scheduled"]  # nobody heard the old times
    started = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    assert maintenance(told=told, reschedules=1).due_steps(started, HOUR) == ["rescheduled-1", "in_progress"]
    ended = datetime(2026, 12, 4, 4, tzinfo=UTC)
    assert "rescheduled-1" not in maintenance(told=told, reschedules=1).due_steps(ended, HOUR)
    assert step_title("rescheduled-2") == "Rescheduled" and step_title("in_progress") == "In progress"
