"""How the issue's state becomes the incident's state (pure)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from incidents.document import IncidentDocument
from incidents.labels import LabelScheme
from incidents.model import Incident, Severity, Status, parse_severity

# Issue-form components are ticked as `Name (id)`, or `id` when the name is the id.
_COMPONENT_ID = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9._-]*)\)\s*$")


def is_incident(labels: Iterable[str], is_incident_type: bool, scheme: LabelScheme) -> bool:
    """An issue is an incident when it carries the incident label, or (GitLab) is of type incident."""
    return is_incident_type or scheme.is_incident(labels)


def declared_in_form(document: IncidentDocument) -> tuple[Severity | None, tuple[str, ...]]:
    """Severity and components as the incident form (GitHub issue form, GitLab template) recorded them."""
    severity: Severity | None = None
    components: tuple[str, ...] = ()
    section = document.sections.get("Severity")
    if section and not section.is_placeholder:
        found = {s for s in map(parse_severity, section.checked or (section.text,)) if s}
        severity = found.pop() if len(found) == 1 else None
    section = document.sections.get("Affected components")
    if section and not section.is_placeholder:
        components = tuple(sorted({_component_id(c) for c in section.checked}))
    return severity, components


def _component_id(checked: str) -> str:
    """The id in a ticked `Name (id)`, or the whole label when it carries no `(id)`."""
    match = _COMPONENT_ID.search(checked)
    return (match.group(1) if match else checked).strip()


def reopened(incident: Incident, issue_state: str) -> Incident:
    """The incident as an open issue shows it: one closed before and reopened since is closed no more."""
    return incident.with_changes(closed_at=None) if incident.closed_at and issue_state == "open" else incident


def label_changes(labels: Iterable[str], incident: Incident, postmortem_complete: bool,
                  scheme: LabelScheme) -> tuple[list[str], list[str]]:
    """Labels to add and to remove so the issue shows the incident's state (one-of-a-kind labels)."""
    labels = list(labels)
    present = {label.lower() for label in labels}
    wanted = [scheme.status(incident.status), scheme.postmortem(postmortem_complete)]
    if incident.severity:
        wanted.append(scheme.severity(incident.severity))
    wanted += [scheme.component(c) for c in incident.components]
    add = [label for label in wanted if label.lower() not in present]
    keep = {label.lower() for label in wanted}
    # Components are "set" by the incident too, so a dropped component's label goes.
    one_of_a_kind = set(scheme.status_labels(labels) + scheme.severity_labels(labels)
                        + scheme.postmortem_labels(labels) + scheme.component_labels(labels))
    remove = [label for label in labels if label in one_of_a_kind and label.lower() not in keep]
    return add, remove


def track(existing: Incident | None, *, platform: str, repository: str, number: int, title: str, url: str,
          labels: Iterable[str], declared_by: str, reported_at: datetime | None,
          scheme: LabelScheme, form: tuple[Severity | None, tuple[str, ...]] = (None, ()),
          labels_added: Iterable[str] = ()) -> Incident:
    """The incident as the issue now shows it.

    Labels win for status, severity and components (people may change them by hand), then what the
    incident form recorded; roles come from the store, the declarer being commander and operations
    lead until changed. A label just added wins over an older one of the same kind.
    """
    labels, labels_added = tuple(labels), tuple(labels_added)
    if existing is None or not existing.tracking:
        existing = Incident(platform=platform, repository=repository, number=number, title=title,
                            commander=declared_by or None, operations_lead=declared_by or None,
                            reported_at=reported_at)  # no declarer: declared from chat by someone unmapped
    return existing.with_changes(
        title=title,
        url=url or existing.url,
        status=scheme.status_of(labels_added) or scheme.status_of(labels) or existing.status
        or Status.INVESTIGATING,
        severity=scheme.severity_of(labels_added) or scheme.severity_of(labels) or existing.severity or form[0],
        components=scheme.components_of(labels) or existing.components or form[1],
        tracking=True,
    )
