"""How the status page reads the store: lists carry what the pages show and no more; the feed stays short."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from incidents.model import Severity, Status
from tests.status_seed import _run, seed_status_page
from webhook_app.status_site import FEED_ENTRIES, Site

NOW = datetime.now(UTC)


def test_lists_carry_all_updates_the_latest_or_none_and_the_postmortem_only_for_one_incident(store):
    seeded = seed_status_page(store, NOW)
    incident = _run(store, 20, "Queue backlog", Severity.PARTIAL_OUTAGE, ("api",), [
        (Status.IDENTIFIED, NOW - timedelta(days=2, hours=2), "first"),
        (Status.MONITORING, NOW - timedelta(days=2, hours=1), "second"),
        (Status.RESOLVED, NOW - timedelta(days=2), "third")])
    store.set_publication(incident, postmortem="## What happened\nA backlog.", postmortem_at=NOW - timedelta(days=1))

    full = {i.name: i for i in store.public_incidents(seeded.page)}
    latest = {i.name: i for i in store.public_incidents(seeded.page, updates="latest")}
    bare = {i.name: i for i in store.public_incidents(seeded.page, updates="none")}

    assert [u.message for u in full["Queue backlog"].updates] == ["first", "second", "third"]
    assert latest.keys() == full.keys() == bare.keys()
    for name, listed in full.items():
        assert latest[name].updates == (listed.updates[-1],)
        assert bare[name].updates == ()
        assert latest[name].status == bare[name].status == listed.status
    assert full["Queue backlog"].postmortem is None and full["Queue backlog"].postmortem_at is not None
    [one] = store.public_incidents(seeded.page, public_id=full["Queue backlog"].id)
    assert one.postmortem == "## What happened\nA backlog."


def test_the_latest_update_is_the_newest_by_time_not_by_insertion(store):
    seeded = seed_status_page(store, NOW)
    incident = _run(store, 21, "Late note", Severity.MAJOR_OUTAGE, ("web",), [
        (Status.IDENTIFIED, NOW - timedelta(hours=1), "newest")])
    store.add_update(incident, key="older-written-later", message="older", at=NOW - timedelta(hours=3))

    [listed] = [i for i in store.public_incidents(seeded.page, updates="latest") if i.name == "Late note"]
    assert [u.message for u in listed.updates] == ["newest"]


def test_the_feed_lists_the_newest_incidents_and_any_older_one_still_open(store):
    seeded = seed_status_page(store, NOW)
    # Open, and older than every incident below: it must stay in the feed.
    _run(store, 30, "Slow builds since last month", Severity.DEGRADED_PERFORMANCE, ("api",), [
        (Status.IDENTIFIED, NOW - timedelta(days=40), "still looking")])
    for number in range(100, 100 + FEED_ENTRIES + 5):
        start = NOW - timedelta(days=1, minutes=number)
        _run(store, number, f"Blip {number}", Severity.DEGRADED_PERFORMANCE, ("web",), [
            (Status.IDENTIFIED, start, "seen"), (Status.RESOLVED, start + timedelta(minutes=5), "gone")])

    feed, _ = Site.load(store, seeded.page.slug, "https://status.example.com").render("feed.atom")
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [entry.find(f"{atom}title").text for entry in ET.fromstring(feed).iter(f"{atom}entry")]
    assert len(titles) == FEED_ENTRIES + 1
    assert titles[:3] == ["Elevated API error rates", "Blip 100", "Blip 101"]  # newest first
    assert "Slow builds since last month" in titles and "Blip 154" not in titles
    assert titles.count("Slow builds since last month") == 1
