"""What chat is told about an incident (issue 16): the view, its changes, the pinned summary, announcements,
who hears them, channel names and Slack users as forge logins. All pure: values in, values out."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from incidents.action_items import ActionItem
from incidents.chat_view import (
    CHANGE_KINDS,
    MAX_LISTED,
    Change,
    ChatView,
    announcement,
    changes,
    channel_name,
    from_json,
    pinned_summary,
    slack_login,
    targets_for,
    to_json,
    view_of,
)
from incidents.config_model import ANNOUNCED, NotificationRule
from incidents.document import parse_document
from incidents.model import Incident, Severity, Status
from incidents.profiles import PROFILES

ZWJ = "\u200d"
URL = "https://github.com/acme/web/issues/7"
PAGE = "https://status.example.com/acme/incidents/abc123"
BODY = """## Timeline

**December 3, 2026:**

- 09:05 - the database stopped answering
- 09:10 - [detected] paged the on-call

## Root cause analysis

A full disk.

## Actions

- [ ] alert on disk space @alice due 2026-12-10
- [x] grow the disk @bob
"""
INCIDENT = Incident("github", "acme/web", 7, "Database is down", Status.IDENTIFIED, Severity.MAJOR_OUTAGE, ("db",),
                    "alice", url=URL)
VIEW = ChatView(title="Database is down", url=URL, status="identified", severity="major-outage", commander="alice")


def _document(body: str = BODY, timezone: str | None = "America/Bogota"):
    return parse_document(body, PROFILES["timeline-rca-actions"], timezone)


# --- the view --------------------------------------------------------------------------------

def test_the_view_of_an_incident_and_its_document():
    view = view_of(INCIDENT.with_changes(operations_lead="bob", ttd_seconds=300.0), _document(), PAGE)
    assert view == ChatView(
        title="Database is down", url=URL, status="identified", severity="major-outage", commander="alice",
        operations_lead="bob", communications_lead=None, private=False, page_url=PAGE,
        open_actions=("alert on disk space @alice due 2026-12-10",), postmortem=None, closed=False,
        timeline=("2026-12-03 14:05 UTC the database stopped answering",  # Bogota is UTC-5
                  "2026-12-03 14:10 UTC [detected] paged the on-call"),
        components=("db",), ttd="5.0 minutes", ttf=None, ttr=None)


def test_a_private_incident_has_no_status_page_link_and_a_closed_one_says_so():
    closed = INCIDENT.with_changes(private=True, closed_at=datetime(2026, 12, 4, tzinfo=UTC), status=Status.RESOLVED)
    view = view_of(closed, _document(), PAGE, postmortem="incomplete")
    assert view.private and view.page_url is None
    assert view.closed and view.status == "resolved" and view.postmortem == "incomplete"
    assert view_of(INCIDENT, _document(), "").page_url is None


def test_the_caller_may_say_which_actions_are_still_open():
    still_open = [ActionItem("grow the disk @bob", False, "bob", None, "#12", 20)]
    assert view_of(INCIDENT, _document(), None, open_actions=still_open).open_actions == ("grow the disk @bob",)
    assert view_of(INCIDENT, _document(), None, open_actions=[]).open_actions == ()


def test_a_document_without_a_timeline_or_actions():
    view = view_of(INCIDENT, _document("nothing written yet"), None)
    assert view.timeline == () and view.open_actions == ()


def test_the_view_round_trips_through_json():
    view = view_of(INCIDENT.with_changes(ttr_seconds=7200.0), _document(), PAGE, postmortem="complete")
    text = to_json(view)
    assert from_json(text) == view
    assert to_json(from_json(text)) == text  # stable: the same view is the same text


def test_a_stored_view_survives_fields_added_and_removed():
    stored = json.dumps({"title": "t", "url": URL, "status": "monitoring", "timeline": ["a", "b"], "gone": 1})
    assert from_json(stored) == ChatView(title="t", url=URL, status="monitoring", timeline=("a", "b"))


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"title": "no url or status"}'])
def test_text_that_is_not_a_stored_view_is_refused(text):
    with pytest.raises(ValueError):
        from_json(text)


# --- changes ---------------------------------------------------------------------------------

def test_a_first_view_is_one_declared_change():
    assert changes(None, VIEW) == [Change("declared", f"**Incident declared:** [Database is down]({URL})")]


def test_an_unchanged_view_has_no_changes():
    assert changes(VIEW, replace(VIEW)) == []


def test_each_kind_of_change():
    after = replace(VIEW, status="monitoring", severity="partial-outage", commander="carol", operations_lead="bob",
                    timeline=("2026-12-03 14:05 UTC disk full",), open_actions=("alert @alice",),
                    page_url=PAGE)
    assert changes(VIEW, after) == [
        Change("status", "**Status:** monitoring (was identified)"),
        Change("severity", "**Severity:** Partial outage (was Major outage)"),
        Change("role", f"**Commander:** @{ZWJ}carol (was @{ZWJ}alice)"),
        Change("role", f"**Operations lead:** @{ZWJ}bob (was unassigned)"),
        Change("timeline", "**Timeline:** 2026-12-03 14:05 UTC disk full"),
        Change("action", f"**New action item:** alert @{ZWJ}alice"),
        Change("published", f"**On the status page:** [{PAGE}]({PAGE})"),
    ]
    assert {change.kind for change in changes(VIEW, after)} <= set(CHANGE_KINDS)


def test_resolving_closing_and_reopening():
    resolved = replace(VIEW, status="resolved", open_actions=())
    assert changes(VIEW, resolved) == [Change("resolved", "**Status:** resolved (was identified)")]
    closed = replace(resolved, closed=True, ttd="5.0 minutes", ttf="1.0 hours", ttr="1.1 hours")
    assert changes(resolved, closed) == [
        Change("closed", "**The issue was closed.** **TTD** 5.0 minutes · **TTF** 1.0 hours · **TTR** 1.1 hours")]
    assert changes(closed, replace(closed, closed=False)) == [Change("status", "**The issue was reopened.**")]


def test_actions_done_or_removed_and_timeline_entries_repeated():
    before = replace(VIEW, open_actions=("a @x", "b @y"), timeline=("14:00 UTC same", "14:01 UTC other"))
    after = replace(before, open_actions=("b @y",), timeline=("14:00 UTC same", "14:01 UTC other", "14:00 UTC same"))
    assert changes(before, after) == [Change("timeline", "**Timeline:** 14:00 UTC same"),
                                      Change("action", f"**No longer open:** a @{ZWJ}x")]


def test_many_new_entries_are_counted_rather_than_each_posted():
    after = replace(VIEW, timeline=tuple(f"entry {n}" for n in range(MAX_LISTED + 5)))
    found = changes(VIEW, after)
    assert len(found) == MAX_LISTED + 1 and {c.kind for c in found} == {"timeline"}
    assert found[-1] == Change("timeline", "… and 5 more timeline entries")


def test_user_text_in_changes_cannot_ping_or_inject():
    after = replace(VIEW, timeline=("<!channel> @here *bold* [x](https://evil.example)",))
    text = changes(VIEW, after)[0].text
    assert text == f"**Timeline:** \\<!channel\\> @{ZWJ}here \\*bold\\* \\[x\\](https://evil.example)"


# --- the pinned summary ------------------------------------------------------------------------

def test_the_pinned_summary_says_what_the_summary_comment_says():
    view = replace(VIEW, operations_lead="bob", components=("db", "api"), page_url=PAGE,
                   open_actions=("alert on disk space @alice",), postmortem="incomplete")
    assert pinned_summary(view) == "\n".join([
        f"**Incident:** [Database is down]({URL})",
        "**Status:** identified · **Severity:** Major outage · **Components:** `db`, `api`",
        f"**Commander:** @{ZWJ}alice · **Operations lead:** @{ZWJ}bob · **Communications:** unassigned",
        f"**Status page:** [{PAGE}]({PAGE})",
        "",
        "**Open action items:**",
        f"- alert on disk space @{ZWJ}alice",
        "",
        "**Postmortem:** incomplete",
        "",
        "**Next step:** Ship the fix or a workaround, then `/incident status monitoring <what changed>`.",
    ])
    assert pinned_summary(view) == pinned_summary(replace(view))


def test_the_pinned_summary_of_a_new_private_and_of_a_closed_incident():
    new = ChatView(title="Login fails", url=URL, status="investigating", private=True)
    text = pinned_summary(new)
    assert "**Severity:** unknown · **Components:** none named" in text
    assert "**Commander:** unassigned" in text and "**Private:**" in text and "Status page" not in text
    assert text.endswith("`/incident status identified <what we know>`.")
    closed = replace(VIEW, status="resolved", closed=True, ttd="5.0 minutes", postmortem="complete")
    text = pinned_summary(closed)
    assert "**Metrics:** **TTD** 5.0 minutes" in text and "**Postmortem:** complete" in text
    assert text.endswith("**Closed.** The issue stays the record; the postmortem lives in its body.")


def test_the_pinned_summary_escapes_the_title_and_links_only_web_addresses():
    view = replace(VIEW, title="<!everyone> **now** @channel", url="javascript:alert(1)")
    first = pinned_summary(view).splitlines()[0]
    assert first == f"**Incident:** \\<!everyone\\> \\*\\*now\\*\\* @{ZWJ}channel"
    view = replace(VIEW, url="https://example.com/a) [evil](https://evil.example")
    assert "evil.example" not in pinned_summary(view).splitlines()[0].split("Database is down")[1]


def test_long_lists_in_the_pinned_summary_are_cut():
    view = replace(VIEW, open_actions=tuple(f"action {n}" for n in range(MAX_LISTED + 3)))
    assert "- … and 3 more" in pinned_summary(view)


# --- announcements ---------------------------------------------------------------------------

def test_an_announcement_carries_what_fluid_posts():
    view = replace(VIEW, operations_lead="bob", page_url=PAGE)
    title, body = announcement(view, changes(None, view)[0])
    assert title == "Incident declared: Database is down"
    assert body.splitlines() == [
        "**Database is down**",
        f"**Incident declared:** [Database is down]({URL})",
        "",
        "**Status:** identified · **Severity:** Major outage",
        f"**Commander:** @{ZWJ}alice · **Assigned developer:** @{ZWJ}bob",
        f"**Issue:** [{URL}]({URL})",
        f"**Status page:** [{PAGE}]({PAGE})",
    ]


def test_the_assigned_developer_is_the_commander_without_an_operations_lead():
    _, body = announcement(VIEW, Change("severity", "x"))
    assert f"**Assigned developer:** @{ZWJ}alice" in body and "Status page" not in body


@pytest.mark.parametrize("kind, heading", [
    ("status", "Incident identified"), ("severity", "Incident severity major outage"),
    ("resolved", "Incident resolved"), ("closed", "Incident closed"), ("published", "Incident on the status page"),
    ("timeline", "Incident update"),
])
def test_announcement_titles(kind, heading):
    assert announcement(VIEW, Change(kind, "x"))[0] == f"{heading}: Database is down"


def test_an_announcement_escapes_the_title():
    title, body = announcement(replace(VIEW, title="@here <b>down</b>"), Change("declared", "x"))
    assert title == f"Incident declared: @{ZWJ}here \\<b\\>down\\</b\\>"
    assert body.splitlines()[0] == f"**@{ZWJ}here \\<b\\>down\\</b\\>**"


# --- who hears what --------------------------------------------------------------------------

RULES = (
    NotificationRule("teams", ("declared", "resolved"), "major-outage"),
    NotificationRule("discord"),
    NotificationRule("matrix", ("status",), "partial-outage"),
    NotificationRule("discord", ("declared",)),  # named twice: heard once
)


@pytest.mark.parametrize("kind, severity, expected", [
    ("declared", Severity.MAJOR_OUTAGE, ["teams", "discord"]),
    ("declared", "major-outage", ["teams", "discord"]),
    ("declared", Severity.PARTIAL_OUTAGE, ["discord"]),
    ("declared", None, ["discord"]),  # no severity yet: passes no minimum
    ("status", Severity.MAJOR_OUTAGE, ["discord", "matrix"]),  # worse than the minimum
    ("status", Severity.PARTIAL_OUTAGE, ["discord", "matrix"]),
    ("status", Severity.DEGRADED_PERFORMANCE, ["discord"]),
    ("published", Severity.OPERATIONAL, ["discord"]),
    ("role", Severity.MAJOR_OUTAGE, []),
])
def test_targets_by_event_and_severity(kind, severity, expected):
    assert targets_for(RULES, frozenset(), kind, severity, private=False) == expected


def test_a_private_incident_reaches_only_private_targets():
    assert targets_for(RULES, {"matrix"}, "status", Severity.MAJOR_OUTAGE, private=True) == ["matrix"]
    assert targets_for(RULES, set(), "declared", Severity.MAJOR_OUTAGE, private=True) == []
    assert targets_for(RULES, {"matrix"}, "status", Severity.MAJOR_OUTAGE, private=False) == ["discord", "matrix"]


def test_every_announced_event_is_a_change_kind():
    assert set(ANNOUNCED) <= set(CHANGE_KINDS)
    assert targets_for([NotificationRule("all")], (), "closed", None, False) == ["all"]


# --- Slack users and channel names ---------------------------------------------------------------

USERS = {"U012AB3CD": "alice", "carol.smith@example.com": "carol", "W0BOB": "@bob"}


@pytest.mark.parametrize("user_id, email, login", [
    ("U012AB3CD", None, "alice"),
    ("U012AB3CD", "carol.smith@example.com", "alice"),  # the id first
    ("U0OTHER", "Carol.Smith@Example.COM", "carol"),
    ("W0BOB", None, "bob"),
    ("U0OTHER", "nobody@example.com", None),
    (None, None, None),
])
def test_slack_users_as_forge_logins(user_id, email, login):
    assert slack_login(USERS, user_id, email) == login


def test_an_e_mail_in_the_map_in_any_case_matches():
    assert slack_login({"Dave@Example.com": "dave"}, "U1", "dave@example.com") == "dave"


@pytest.mark.parametrize("what, name", [
    ("db is down", "incident-2026-12-03-db-is-down"),
    ("DB is DOWN!!  (again?)", "incident-2026-12-03-db-is-down-again"),
    ("Café crème — säure", "incident-2026-12-03-cafe-creme-saure"),
    ("🔥🔥", "incident-2026-12-03-incident"),
    ("", "incident-2026-12-03-incident"),
    ("a_b.c/d", "incident-2026-12-03-a-b-c-d"),
    ("word " * 30, "incident-2026-12-03-" + "-".join(["word"] * 12)),
])
def test_channel_names(what, name):
    assert channel_name(date(2026, 12, 3), what) == name


def test_a_channel_name_is_never_longer_than_slack_allows():
    name = channel_name(date(2026, 12, 3), "x" * 200)
    assert len(name) == 80 and set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
