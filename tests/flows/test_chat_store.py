"""The incident's chat in the store (issue 16): its channel both ways, upserts of only the fields given, and the
closed incidents whose channel may be archived. On SQLite, and on PostgreSQL when DATABASE_URL names one."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from incidents.model import Incident, IncidentChat, Status
from store import UnknownIncident
from store.models import IncidentChatRow

AT = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


def _incident(store, number: int, **changes) -> Incident:
    incident = Incident("github", "acme/web", number, f"Incident {number}", **changes)
    store.save_incident(incident)
    return incident


def test_an_incident_without_a_chat_has_none(store):
    incident = _incident(store, 1)
    assert store.incident_chat(incident) is None
    assert store.incident_chat(Incident("github", "acme/web", 99, "never saved")) is None
    assert store.incident_by_channel("C0NOBODY") is None


def test_the_first_save_creates_the_chat_and_later_ones_change_only_the_fields_given(store):
    incident = _incident(store, 1)
    created = store.save_incident_chat(incident, channel_id="C024BE91L", channel_name="incident-2026-12-03-db")
    assert created == IncidentChat(channel_id="C024BE91L", channel_name="incident-2026-12-03-db")
    store.save_incident_chat(incident, pinned_ts="1512085950.000216")
    store.save_incident_chat(incident, view='{"title": "db"}')
    assert store.incident_chat(incident) == IncidentChat("C024BE91L", "incident-2026-12-03-db", "1512085950.000216",
                                                         '{"title": "db"}', None)
    store.save_incident_chat(incident, view=None)  # a field given as None is set to None
    assert store.incident_chat(incident).view is None
    with store.session() as s:
        assert len(s.scalars(select(IncidentChatRow)).all()) == 1  # one row per incident, however many saves


def test_the_channel_finds_its_incident(store):
    first, second = _incident(store, 1, status=Status.IDENTIFIED, commander="alice"), _incident(store, 2)
    store.save_incident_chat(first, channel_id="C111")
    store.save_incident_chat(second, channel_id="C222")
    assert store.incident_by_channel("C111") == first
    assert store.incident_by_channel("C222") == second
    assert store.incident_by_channel("C333") is None


def test_a_channel_belongs_to_one_incident(store):
    first, second = _incident(store, 1), _incident(store, 2)
    store.save_incident_chat(first, channel_id="C111")
    with pytest.raises(IntegrityError):
        store.save_incident_chat(second, channel_id="C111")
    assert store.incident_chat(second) is None  # nothing half-written
    assert store.incident_by_channel("C111") == first
    store.save_incident_chat(second, pinned_ts="1.2")  # chats without a channel yet do not clash
    store.save_incident_chat(_incident(store, 3), pinned_ts="3.4")
    assert store.incident_chat(second) == IncidentChat(pinned_ts="1.2")


def test_saving_needs_a_saved_incident_and_known_fields(store):
    with pytest.raises(UnknownIncident):
        store.save_incident_chat(Incident("github", "acme/web", 99, "never saved"), channel_id="C1")
    incident = _incident(store, 1)
    with pytest.raises(TypeError, match="channel"):
        store.save_incident_chat(incident, channel="C1")
    assert store.incident_chat(incident) is None


def test_times_come_back_timezone_aware(store):
    incident = _incident(store, 1)
    store.save_incident_chat(incident, channel_id="C1", archived_at=AT)
    archived = store.incident_chat(incident).archived_at
    assert archived == AT and archived.tzinfo is not None


def test_chats_to_archive_are_the_closed_incidents_with_a_live_channel(store):
    old = _incident(store, 1, closed_at=AT - timedelta(days=3))
    recent = _incident(store, 2, closed_at=AT - timedelta(hours=1))
    still_open = _incident(store, 3)
    archived = _incident(store, 4, closed_at=AT - timedelta(days=5))
    no_channel = _incident(store, 5, closed_at=AT - timedelta(days=5))
    oldest = _incident(store, 6, closed_at=AT - timedelta(days=9))
    for incident, channel in ((old, "C1"), (recent, "C2"), (still_open, "C3"), (archived, "C4"), (oldest, "C6")):
        store.save_incident_chat(incident, channel_id=channel)
    store.save_incident_chat(archived, archived_at=AT - timedelta(days=1))
    store.save_incident_chat(no_channel, view="{}")

    due = store.chats_to_archive(AT - timedelta(days=1))
    assert [(incident.number, chat.channel_id) for incident, chat in due] == [(6, "C6"), (1, "C1")]
    assert due[1] == (old, IncidentChat(channel_id="C1"))
    assert [incident.number for incident, _ in store.chats_to_archive(AT)] == [6, 1, 2]
    boundary = store.chats_to_archive(AT - timedelta(hours=1))  # closed exactly then: due
    assert [incident.number for incident, _ in boundary] == [6, 1, 2]

    store.save_incident_chat(old, archived_at=AT)
    assert [incident.number for incident, _ in store.chats_to_archive(AT)] == [6, 2]



def test_a_chat_created_by_another_worker_meanwhile_is_updated_not_duplicated(store, monkeypatch):
    import store.chats as chats

    incident = _incident(store, 1)
    store.save_incident_chat(incident, channel_id="C111")
    real, missed = chats._chat_row, []

    def not_seen_the_first_time(s, incident_row_id):
        if not missed:
            missed.append(True)
            return None  # as when the other worker's insert committed just after this read
        return real(s, incident_row_id)

    monkeypatch.setattr(chats, "_chat_row", not_seen_the_first_time)
    assert store.save_incident_chat(incident, pinned_ts="9.9") == IncidentChat(channel_id="C111", pinned_ts="9.9")
    assert missed == [True]
    with store.session() as s:
        assert len(s.scalars(select(IncidentChatRow)).all()) == 1
