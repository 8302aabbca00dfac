"""Every store write that changes what a status page shows gives the page a new version (issue 15): the web
app's render cache and ETags are keyed by it, so a write that forgot would leave pages stale, or private."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from incidents.config_model import Component
from incidents.model import Incident, Status
from incidents.status_page import StatusPage

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PAGE = StatusPage("acme", "Acme status", "UTC", (Component("api", "API", "", None),), "github", "acme/api",
                  ("acme/db",))
OTHER = StatusPage("other", "Other status", "UTC", (), "github", "other/app", ())


@pytest.fixture
def pages(store):
    store.save_status_page(PAGE)
    store.save_status_page(OTHER)
    return store


def version(store, slug: str = "acme") -> int:
    return store.status_page_version(slug)[0]


def published(store, repository: str = "acme/api", number: int = 1) -> Incident:
    incident = Incident("github", repository, number, "API errors", Status.INVESTIGATING, reported_at=AT)
    store.save_incident(incident)
    store.set_publication(incident, published=True, name=incident.title, published_at=AT)
    return incident


def test_the_page_definition_bumps_its_version_when_it_changes(pages):
    before = version(pages)
    assert pages.save_status_page(PAGE) is False and version(pages) == before
    assert pages.save_status_page(replace(PAGE, title="Acme")) is True and version(pages) == before + 1
    assert version(pages, "other") == 1


def test_an_opt_in_given_or_taken_back_bumps_the_listing_page(pages):
    before = version(pages)
    pages.keep_opt_ins("github", "acme/db", ("acme",))
    assert version(pages) == before + 1 and pages.status_page("acme")[0].shows("github", "acme/db")
    pages.keep_opt_ins("github", "acme/db", ("acme",))  # nothing changes: no new version
    assert version(pages) == before + 1
    pages.keep_opt_ins("github", "acme/db", ())
    assert version(pages) == before + 2 and not pages.status_page("acme")[0].shows("github", "acme/db")


def test_publication_changes_bump_the_pages_listing_the_repository_only(pages):
    incident = Incident("github", "acme/api", 1, "API errors", Status.INVESTIGATING, reported_at=AT)
    pages.save_incident(incident)
    steps = [dict(published=True, name="API errors", published_at=AT), dict(workaround="retry"),
             dict(postmortem="## What happened", postmortem_at=AT), dict(published=False)]
    for changes in steps:
        before, other = version(pages), version(pages, "other")
        pages.set_publication(incident, **changes)
        assert (version(pages), version(pages, "other")) == (before + 1, other), changes


def test_a_public_update_bumps_the_version_once(pages):
    incident = published(pages)
    before = version(pages)
    assert pages.add_update(incident.with_changes(status=Status.IDENTIFIED), "k1", "found it", AT) is not None
    assert version(pages) == before + 1
    assert pages.add_update(incident, "k1", "found it", AT) is None  # a retry: recorded already
    assert version(pages) == before + 1


def test_an_incident_write_bumps_the_pages_that_show_it_when_it_is_published(pages):
    incident = published(pages)
    before = version(pages)
    pages.save_incident(incident)  # unchanged
    assert version(pages) == before
    pages.save_incident(incident.with_changes(title="API down"))
    assert version(pages) == before + 1
    pages.save_incident(incident.with_changes(title="API down", private=True))  # must leave the pages now
    assert version(pages) == before + 2
    draft = Incident("github", "acme/api", 2, "Not public", Status.INVESTIGATING, reported_at=AT)
    pages.save_incident(draft)
    pages.save_incident(draft.with_changes(title="Still not public"))
    assert version(pages) == before + 2


def test_an_incident_of_a_listed_repository_bumps_the_listing_page(pages):
    pages.keep_opt_ins("github", "acme/db", ("acme",))
    before, other = version(pages), version(pages, "other")
    incident = published(pages, "acme/db")
    pages.save_incident(incident.with_changes(status=Status.IDENTIFIED))
    assert version(pages) == before + 2 and version(pages, "other") == other
