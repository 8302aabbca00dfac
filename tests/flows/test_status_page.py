"""The status page's rules, pure: component states, indicator, uptime, the API's shapes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidents.config_model import Component
from incidents.model import Severity, Status
from incidents.status_page import (
    PublicIncident,
    PublicUpdate,
    StatusPage,
    Subscriber,
    component_states,
    components_json,
    incident_json,
    indicator,
    minutes_ago,
    status_json,
    uptime,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PAGE = StatusPage("acme", "Acme status", "Europe/Berlin",
                  (Component("api", "API", "", "Core"), Component("web", "Website", "", "Core"),
                   Component("mail", "Mail", "", None)), "github", "acme/app", ("acme/infra",))


def incident(severity, components=("api",), status=Status.IDENTIFIED, start=NOW - timedelta(hours=1), end=None,
             updates=()):
    return PublicIncident("abc", "Trouble", status, severity, components, start, end, start, tuple(updates))


def test_the_worst_open_incident_sets_each_component_and_resolved_ones_count_for_nothing():
    open_ = [incident(Severity.DEGRADED_PERFORMANCE, ("api", "web")), incident(Severity.MAJOR_OUTAGE, ("api",)),
             incident(Severity.PARTIAL_OUTAGE, ("mail",), status=Status.RESOLVED)]
    assert component_states(PAGE, open_) == {"api": "major_outage", "web": "degraded_performance",
                                             "mail": "operational"}
    assert indicator(open_) == "critical"


@pytest.mark.parametrize("severity, expected", [
    (Severity.MAJOR_OUTAGE, "critical"), (Severity.PARTIAL_OUTAGE, "major"),
    (Severity.DEGRADED_PERFORMANCE, "minor"), (Severity.OPERATIONAL, "none"), (None, "none")])
def test_indicator_follows_design(severity, expected):
    assert indicator([incident(severity)]) == expected
    assert status_json([incident(severity)])["indicator"] == expected


def test_incidents_of_unknown_components_change_nothing_listed():
    assert component_states(PAGE, [incident(Severity.MAJOR_OUTAGE, ("db",))]) == dict.fromkeys(
        ("api", "web", "mail"), "operational")


def test_page_shows_its_own_and_listed_repositories_on_the_same_platform_only():
    assert PAGE.shows("github", "acme/app") and PAGE.shows("github", "acme/infra")
    assert not PAGE.shows("gitlab", "acme/app") and not PAGE.shows("github", "acme/other")


def test_components_json_adds_groups_with_their_worst_member():
    listed = components_json(PAGE, [incident(Severity.PARTIAL_OUTAGE, ("web",))], NOW)
    by_id = {c["id"]: c for c in listed}
    assert by_id["group-core"]["group"] is True and by_id["group-core"]["components"] == ["api", "web"]
    assert by_id["group-core"]["status"] == "partial_outage" and by_id["web"]["group_id"] == "group-core"
    assert by_id["mail"]["group_id"] is None and [c["position"] for c in listed] == [1, 2, 3, 4]


def test_incident_json_lists_updates_newest_first_with_component_transitions():
    partial = Severity.PARTIAL_OUTAGE
    updates = (PublicUpdate(1, Status.IDENTIFIED, "found", NOW - timedelta(minutes=50), partial, ("api",)),
               PublicUpdate(2, Status.MONITORING, "fixed", NOW - timedelta(minutes=20), partial, ("api",)),
               PublicUpdate(3, Status.RESOLVED, "done", NOW, partial, ("api",)))
    data = incident_json(PAGE, incident(Severity.PARTIAL_OUTAGE, status=Status.RESOLVED, end=NOW, updates=updates),
                         "https://x/incidents/abc.html")
    assert [u["status"] for u in data["incident_updates"]] == ["resolved", "monitoring", "identified"]
    assert data["incident_updates"][-1]["affected_components"][0]["new_status"] == "partial_outage"
    assert data["incident_updates"][0]["affected_components"][0] == {
        "code": "api", "name": "API", "old_status": "partial_outage", "new_status": "operational"}
    assert data["monitoring_at"] == "2026-11-23T12:40:00.000+01:00"  # page timezone
    assert data["impact"] == "major" and [{k: c[k] for k in ("id", "name", "page_id", "status")}
                                          for c in data["components"]] == [
        {"id": "api", "name": "API", "page_id": "acme", "status": "operational"}]


def test_uptime_counts_major_fully_and_partial_at_thirty_percent_in_page_days():
    day = timedelta(days=1)
    history = [incident(Severity.MAJOR_OUTAGE, start=NOW - 2 * day, end=NOW - 2 * day + timedelta(hours=6),
                        status=Status.RESOLVED),
               incident(Severity.PARTIAL_OUTAGE, start=NOW - 10 * day, end=NOW - 10 * day + timedelta(hours=10),
                        status=Status.RESOLVED),
               incident(Severity.MAJOR_OUTAGE, components=("web",), start=NOW - day, end=NOW, status=Status.RESOLVED)]
    bar, percent = uptime("api", history, NOW, PAGE.zone)
    assert len(bar) == 90 and bar[-1].day == NOW.date()
    assert bar[-3].state == "major_outage" and bar[-11].state == "partial_outage"
    assert {d.state for d in bar[:-11]} == {"operational"}
    window_minutes = (89 * 24 + 13) * 60  # 89 whole Berlin days and today until 13:00 local
    assert percent == round(100 * (1 - (6 * 60 + 0.3 * 10 * 60) / window_minutes), 2)
    assert "major outage 360 min" in bar[-3].label


def test_uptime_splits_an_incident_across_midnight_in_the_page_timezone():
    start = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    history = [incident(Severity.MAJOR_OUTAGE, start=start, end=start + timedelta(hours=1), status=Status.RESOLVED)]
    bar, _ = uptime("api", history, NOW, PAGE.zone)
    by_day = {d.day.isoformat(): d.minutes for d in bar if d.minutes}
    assert by_day == {"2026-11-20": {"major_outage": 30.0}, "2026-11-21": {"major_outage": 30.0}}


def test_an_open_incident_counts_until_now():
    bar, percent = uptime("api", [incident(Severity.MAJOR_OUTAGE, start=NOW - timedelta(minutes=30))], NOW,
                          PAGE.zone)
    assert bar[-1].minutes == {"major_outage": 30.0} and percent < 100


@pytest.mark.parametrize("minutes, text", [(0, "just now"), (1, "1 minute ago"), (42, "42 minutes ago"),
                                           (180, "3 hours ago"), (3 * 1440, "3 days ago")])
def test_minutes_ago(minutes, text):
    assert minutes_ago(NOW - timedelta(minutes=minutes), NOW) == text


def test_subscribers_choose_components_and_incidents_without_any_reach_everyone():
    chooser = Subscriber(1, "acme", "email", "a@example.com", "t", ("mail",))
    assert not chooser.wants(incident(Severity.MAJOR_OUTAGE, ("api",)))
    assert chooser.wants(incident(Severity.MAJOR_OUTAGE, ("api", "mail")))
    assert chooser.wants(incident(Severity.MAJOR_OUTAGE, ()))
    assert Subscriber(2, "acme", "email", "b@example.com", "u").wants(incident(Severity.MAJOR_OUTAGE, ("api",)))


def test_uptimes_gives_each_component_what_uptime_gives_it_alone():
    from incidents.status_page import uptimes

    history = [incident(Severity.MAJOR_OUTAGE, ("api", "web"), Status.RESOLVED, NOW - timedelta(days=3),
                        NOW - timedelta(days=3) + timedelta(hours=2)),
               incident(Severity.PARTIAL_OUTAGE, ("web", "unknown"), Status.RESOLVED, NOW - timedelta(days=40),
                        NOW - timedelta(days=39)),
               incident(Severity.DEGRADED_PERFORMANCE, ("mail",)),
               incident(None, ("api",))]
    found = uptimes(PAGE, history, NOW)
    assert found.keys() == {"api", "web", "mail"}
    for component_id, (bar, percent) in found.items():
        assert (bar, percent) == uptime(component_id, history, NOW, PAGE.zone)
    assert found["api"][1] < 100.0 and found["mail"][0][-1].state == "degraded_performance"


def test_machine_time_has_no_fraction_of_a_second():
    """issue 13 item 31: HTML's `<time datetime>` allows at most three fractional digits; we write none."""
    from incidents.status_page import machine_time

    moment = datetime(2026, 11, 23, 13, 53, 7, 476415, tzinfo=timezone(timedelta(hours=1)))
    assert machine_time(moment) == "2026-11-23T12:53:07Z"


def test_control_characters_never_reach_the_feed_or_the_pages(store):
    """issue 13 item 16: a title with pasted terminal colours and other control characters still gives a
    well-formed Atom feed (a strict XML parser reads it) and HTML without characters HTML forbids."""
    import re
    import xml.etree.ElementTree as ET

    from tests.status_seed import _run, seed_status_page
    from webhook_app.status_site import Site

    seeded = seed_status_page(store, NOW)
    _run(store, 40, "\x1b[31mDisk full\x1b[0m on db-1\x07", Severity.MAJOR_OUTAGE, ("db",), [
        (Status.IDENTIFIED, NOW - timedelta(minutes=5),
         "Log says:\x01 \x1b[1mENOSPC\x1b[0m\x0c\x7f\x9b\ufffe done\tnow")])
    site = Site.load(store, seeded.page.slug, "https://status.example.com", now=NOW)

    feed, _ = site.render("feed.atom")
    atom = "{http://www.w3.org/2005/Atom}"
    entry = next(e for e in ET.fromstring(feed).iter(f"{atom}entry") if "Disk" in e.find(f"{atom}title").text)
    assert entry.find(f"{atom}title").text == "Disk full on db-1"
    assert "Log says: ENOSPC done\tnow" in entry.find(f"{atom}content").text

    [incident] = [i for i in store.public_incidents(seeded.page) if "Disk" in i.name]
    forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
    for path in ("index.html", "history.html", f"incidents/{incident.id}.html"):
        html, _ = site.render(path)
        assert "Disk full on db-1" in html and not forbidden.search(html), path


def test_components_carry_created_at_and_start_date_as_strings():
    """issue 13 item 28: Statuspage clients type a component's `created_at` and `start_date` as strings."""
    created = {"api": datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "web": datetime(2026, 5, 2, 8, tzinfo=UTC)}
    page = StatusPage(PAGE.slug, PAGE.title, PAGE.timezone, PAGE.components, PAGE.platform, PAGE.repository,
                      created=created)
    by_id = {c["id"]: c for c in components_json(page, [], NOW)}
    assert by_id["api"]["created_at"] == "2026-03-02T00:30:00.000+01:00"
    assert by_id["api"]["start_date"] == "2026-03-02"  # the page's own day
    assert by_id["web"]["start_date"] == "2026-05-02"
    assert by_id["group-core"]["created_at"] == by_id["api"]["created_at"]  # its first member's
    assert by_id["group-core"]["start_date"] == "2026-03-02"
    for component in by_id.values():
        assert isinstance(component["created_at"], str) and isinstance(component["start_date"], str)
        assert datetime.fromisoformat(component["created_at"]).tzinfo is not None
    assert by_id["mail"]["created_at"] == "2026-11-23T13:00:00.000+01:00"  # unknown: the page's last change


def test_an_incident_lists_its_components_as_the_components_list_does():
    """issue 13 item 29: `incidents[].components[]` carry `status` and every other field of a component."""
    open_ = incident(Severity.MAJOR_OUTAGE, ("api", "gone"))
    listed = components_json(PAGE, [open_], NOW)
    data = incident_json(PAGE, open_, "https://x/incidents/abc.html", listed)
    api, gone = data["components"]
    assert api == next(c for c in listed if c["id"] == "api") and api["status"] == "major_outage"
    assert gone["status"] == "major_outage" and gone.keys() == api.keys()  # no longer on the page: still whole
    resolved = incident(Severity.MAJOR_OUTAGE, ("web",), status=Status.RESOLVED, end=NOW)
    [web] = incident_json(PAGE, resolved, "https://x/incidents/abc.html")["components"]
    assert web["status"] == "operational" and web["name"] == "Website" and isinstance(web["start_date"], str)


def test_a_component_keeps_the_time_the_page_first_listed_it(store):
    """issue 13 item 28: `created_at` is when the page first listed the component, kept across config changes."""
    import time_machine

    first, later = datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC)
    with time_machine.travel(first, tick=False):
        store.save_status_page(StatusPage("acme", "Acme", "UTC", PAGE.components[:1], "github", "acme/app"))
    with time_machine.travel(later, tick=False):
        store.save_status_page(StatusPage("acme", "Acme status", "UTC", PAGE.components, "github", "acme/app"))
    page, changed = store.status_page("acme")
    assert page.created == {"api": first, "web": later, "mail": later} and changed == later
    by_id = {c["id"]: c for c in components_json(page, [], changed)}
    assert (by_id["api"]["created_at"], by_id["api"]["start_date"]) == ("2026-01-05T09:00:00.000+00:00", "2026-01-05")
    assert by_id["web"]["start_date"] == by_id["mail"]["start_date"] == "2026-06-01"


def test_the_api_answers_like_the_hosted_one_for_components_incidents_and_maintenance(client, store):
    """issue 13 items 28-30, served: every component has string dates, incidents' components carry their status,
    and the three scheduled-maintenance files answer empty lists instead of 404."""
    from tests.status_seed import seed_status_page

    seed_status_page(store)
    summary = client.get("/status/acme/api/v2/summary.json").get_json()
    listed = {c["id"]: c for c in summary["components"]}
    for component in listed.values():
        assert isinstance(component["created_at"], str) and isinstance(component["start_date"], str), component
    [active] = summary["incidents"]
    assert active["components"] == [listed["api"]] and active["components"][0]["status"] == "partial_outage"
    for incident in client.get("/status/acme/api/v2/incidents.json").get_json()["incidents"]:
        assert incident["components"] and all(c["status"] in ("operational", "partial_outage")
                                              and c.keys() == listed["api"].keys() for c in incident["components"])
    assert client.get("/status/acme/api/v2/components.json").get_json()["components"] == summary["components"]
    for path in ("scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
                 "scheduled-maintenances/active.json"):
        answer = client.get(f"/status/acme/api/v2/{path}")
        assert answer.status_code == 200 and answer.content_type == "application/json", path
        assert answer.get_json() == {"page": summary["page"], "scheduled_maintenances": []}


def test_printable_keeps_text_and_whitespace_and_drops_what_xml_forbids():
    """issue 13 item 16, pure: NUL too (PostgreSQL cannot store it, so the page test above cannot seed it)."""
    from incidents.status_page import printable

    assert printable("a\x00b\x1b[38;5;196mc\x1b[0m\ud800d\uffff\x85e\r\n\tf é ✓") == "abcde\r\n\tf é ✓"
