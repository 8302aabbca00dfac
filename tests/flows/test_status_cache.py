"""Issue 15: a status page's files are rendered once per version of the page (and, for HTML, per minute);
a conditional GET with the current ETag is answered 304 without reading incidents or rendering."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.config_model import Component
from incidents.model import Incident, Status
from incidents.status_page import StatusPage
from webhook_app.status_site import Site

AT = datetime(2026, 12, 1, 9, 0, 10, tzinfo=UTC)
PAGE = StatusPage("acme", "Acme status", "UTC", (Component("api", "API", "", None),), "github", "acme/api",
                  ("acme/db",))
FILES = ("", "history.html", "api/v2/summary.json", "api/v2/incidents.json", "feed.atom")


@pytest.fixture
def clock():
    with time_machine.travel(AT, tick=False) as traveller:
        yield traveller


def publish(store, repository: str, title: str) -> Incident:
    incident = Incident("github", repository, 1, title, Status.INVESTIGATING, reported_at=AT - timedelta(hours=1))
    store.save_incident(incident)
    store.set_publication(incident, published=True, name=title, published_at=AT - timedelta(hours=1))
    store.add_update(incident, f"{repository}:1", "Looking into it.", AT - timedelta(hours=1))
    return incident


def refuse_reads(monkeypatch):
    def refuse(*args, **kwargs):
        pytest.fail("read incidents or rendered again")

    monkeypatch.setattr("store.Store.public_incidents", refuse)
    monkeypatch.setattr(Site, "render", refuse)


def test_a_matching_etag_is_answered_304_without_reading_incidents(client, store, clock, monkeypatch):
    store.save_status_page(PAGE)
    publish(store, "acme/api", "API errors")
    etags = {path: client.get(f"/status/acme/{path}").headers["ETag"] for path in FILES}
    refuse_reads(monkeypatch)
    for path, etag in etags.items():
        again = client.get(f"/status/acme/{path}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag, path
        assert "max-age=30" in again.headers["Cache-Control"]


def test_a_render_is_reused_until_the_page_changes(client, store, clock, monkeypatch):
    store.save_status_page(PAGE)
    incident = publish(store, "acme/api", "API errors")
    first = {path: client.get(f"/status/acme/{path}") for path in FILES}
    with monkeypatch.context() as patched:
        refuse_reads(patched)
        for path, response in first.items():
            assert client.get(f"/status/acme/{path}").data == response.data, path
    store.add_update(incident.with_changes(status=Status.IDENTIFIED), "acme/api:2", "Found the cause.", AT)
    for path, response in first.items():
        changed = client.get(f"/status/acme/{path}", headers={"If-None-Match": response.headers["ETag"]})
        assert changed.status_code == 200 and changed.headers["ETag"] != response.headers["ETag"], path
    assert "Found the cause." in client.get("/status/acme/").get_data(as_text=True)


def test_html_is_rendered_again_the_next_minute_and_json_is_not(client, store, clock):
    store.save_status_page(PAGE)
    publish(store, "acme/api", "API errors")
    html, json_file = client.get("/status/acme/"), client.get("/status/acme/api/v2/summary.json")
    clock.shift(timedelta(minutes=1))
    later = client.get("/status/acme/", headers={"If-None-Match": html.headers["ETag"]})
    assert later.status_code == 200 and "Page generated Dec 01, 2026 09:01" in later.get_data(as_text=True)
    assert client.get("/status/acme/api/v2/summary.json",
                      headers={"If-None-Match": json_file.headers["ETag"]}).status_code == 304


def test_an_opt_in_changes_the_etag_and_what_the_page_shows(client, store, clock):
    store.save_status_page(PAGE)
    publish(store, "acme/db", "Database failover")
    hidden = {path: client.get(f"/status/acme/{path}") for path in FILES}
    assert all("Database failover" not in r.get_data(as_text=True) for r in hidden.values())

    store.keep_opt_ins("github", "acme/db", ("acme",))
    shown = {}
    for path, response in hidden.items():
        shown[path] = client.get(f"/status/acme/{path}", headers={"If-None-Match": response.headers["ETag"]})
        assert shown[path].status_code == 200 and "Database failover" in shown[path].get_data(as_text=True), path

    store.keep_opt_ins("github", "acme/db", ())
    for path, response in shown.items():
        again = client.get(f"/status/acme/{path}", headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 200 and "Database failover" not in again.get_data(as_text=True), path


def test_an_incident_made_private_leaves_the_cached_pages(client, store, clock):
    store.save_status_page(PAGE)
    incident = publish(store, "acme/api", "Vault keys exposed")
    assert "Vault keys exposed" in client.get("/status/acme/").get_data(as_text=True)
    store.save_incident(incident.with_changes(private=True))
    for path in FILES:
        assert "Vault keys exposed" not in client.get(f"/status/acme/{path}").get_data(as_text=True), path


def test_unknown_files_and_pages_are_still_not_found(client, store, clock):
    store.save_status_page(PAGE)
    assert client.get("/status/acme/nothing.txt").status_code == 404
    assert client.get("/status/acme/incidents/abc123.html").status_code == 404
    assert client.get("/status/nobody/").status_code == 404
