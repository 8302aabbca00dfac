"""The store: migrations match the models, and incidents round-trip with timezone-aware times."""
from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from incidents.model import Incident, Link, Severity, Status
from store.models import Base


def test_migrations_build_exactly_the_models_schema(store):
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_incident_and_links_round_trip(store):
    at = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    incident = Incident("gitlab", "group/sub/project", 7, "Queue stuck", Status.IDENTIFIED, Severity.PARTIAL_OUTAGE,
                        ("queue",), "alice", "bob", "carol", reported_at=at, installation_id=None,
                        taxonomy="MISSING_ALERT < ROTATION_FAILURE", open_actions=2, ttd_seconds=60.5)
    store.save_incident(incident)
    assert store.get_incident("gitlab", "group/sub/project", 7) == incident
    link = Link("group/sub/project", 12, "fix", "command", "https://gitlab.example.com/x", "Fix", at, "f" * 40, "s")
    assert store.save_link(incident, link) is True
    assert store.save_link(incident, link) is False  # unchanged
    assert store.links(incident) == [link]
    assert store.incidents_linked_to("gitlab", "group/sub/project", 12) == [(incident, link)]
    assert store.get_incident("gitlab", "group/sub/project", 7).reported_at.tzinfo is not None
