"""How the issue's state becomes the incident's state (pure)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from incidents.labels import LabelScheme
from incidents.model import Incident, Status


def is_incident(labels: Iterable[str], is_incident_type: bool, scheme: LabelScheme) -> bool:
    """An issue is an incident when it carries the incident label, or (GitLab) is of type incident."""
    return is_incident_type or scheme.is_incident(labels)


def track(existing: Incident | None, *, platform: str, repository: str, number: int, title: str, url: str,
          labels: Iterable[str], declared_by: str, reported_at: datetime | None,
          scheme: LabelScheme) -> Incident:
    """The incident as the issue now shows it.

    Labels win for status, severity and components (people may change them by hand);
    roles come from the store, the declarer being commander and operations lead until changed.
    """
    labels = tuple(labels)
    if existing is None or not existing.tracking:
        existing = Incident(platform=platform, repository=repository, number=number, title=title,
                            commander=declared_by, operations_lead=declared_by, reported_at=reported_at)
    return existing.with_changes(
        title=title,
        url=url or existing.url,
        status=scheme.status_of(labels) or existing.status or Status.INVESTIGATING,
        severity=scheme.severity_of(labels) or existing.severity,
        components=scheme.components_of(labels) or existing.components,
        tracking=True,
    )
