"""Rows to domain objects: the one place that reads a row back, shared by the store and its mixins."""
from __future__ import annotations

from incidents.model import Incident, Link, Severity, Status
from store.models import IncidentRow, LinkRow


def to_incident(row: IncidentRow) -> Incident:
    """The domain incident a row holds."""
    return Incident(
        platform=row.platform, repository=row.repository, number=row.number, title=row.title,
        url=row.url or "", status=Status(row.status), severity=Severity(row.severity) if row.severity else None,
        components=tuple(row.components or ()), commander=row.commander, operations_lead=row.operations_lead,
        communications_lead=row.communications_lead, reported_at=row.reported_at,
        resolved_at=row.resolved_at, closed_at=row.closed_at, tracking=row.tracking,
        installation_id=row.installation_id, last_update_at=row.last_update_at,
        forced_close=bool(row.forced_close), private=bool(row.private), taxonomy=row.taxonomy,
        open_actions=row.open_actions or 0,
        ttd_seconds=row.ttd_seconds, ttf_seconds=row.ttf_seconds, ttr_seconds=row.ttr_seconds,
        root_cause=row.root_cause, done_actions=row.done_actions or 0,
    )


def to_link(row: LinkRow) -> Link:
    """The domain link a row holds."""
    return Link(repository=row.repository, number=row.number, role=row.role, source=row.source, url=row.url or "",
                title=row.title or "", merged_at=row.merged_at, head_sha=row.head_sha, check_state=row.check_state)
