"""Alert groups (a mixin of `Store`): the alert group, or PagerDuty incident, behind each incident, as last seen.

A notification names its group (source and group key); the group finds its incident here, so a repeat, an
alert joining the group or its resolution updates that incident instead of opening another. A group key
belongs to one incident at a time: saving it with another incident (it fired again after its incident was
done with) moves it there. Like the chats, none of this can be rebuilt from the issues.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidents.model import AlertGroup, Incident
from store.chats import UnknownIncident
from store.models import AlertGroupRow, IncidentRow
from store.records import to_incident


class AlertGroupStore:
    """Mixed into `Store`; needs its `session()` and `_row()`."""

    if TYPE_CHECKING:  # Store's, declared for the type checker
        def session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _row(s: Session, platform: str, repository: str, number: int) -> IncidentRow | None: ...

    def alert_group(self, source: str, group: str) -> AlertGroup | None:
        """The group as last saved; None when no incident was ever opened for it."""
        with self.session() as s:
            row = _group_row(s, source, group)
            return to_alert_group(row) if row is not None else None

    def alert_group_incident(self, source: str, group: str) -> Incident | None:
        """The incident the group belongs to; None when it has none."""
        with self.session() as s:
            row = s.scalars(select(IncidentRow).join(AlertGroupRow, AlertGroupRow.incident_id == IncidentRow.id)
                            .where(AlertGroupRow.source == source, AlertGroupRow.group_key == group)).first()
            return to_incident(row) if row is not None else None

    def alert_group_of(self, incident: Incident) -> AlertGroup | None:
        """The group behind the incident (the first saved with it, when several were); None for an incident no
        alert opened."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            group = s.scalars(select(AlertGroupRow).where(AlertGroupRow.incident_id == row.id)
                              .order_by(AlertGroupRow.id)).first() if row is not None else None
            return to_alert_group(group) if group is not None else None

    def save_alert_group(self, incident: Incident, group: AlertGroup) -> None:
        """Record the group as seen now, with its incident: created on its first save, updated (and moved to
        this incident) on the next ones. Raises UnknownIncident when the incident was never saved."""
        try:
            self._save_group(incident, group)
        except IntegrityError:
            # Another worker inserted the group between our read and our insert: now it is there, update it.
            self._save_group(incident, group)

    def _save_group(self, incident: Incident, group: AlertGroup) -> None:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                raise UnknownIncident(f"{incident.platform}:{incident.repository}#{incident.number}")
            stored = _group_row(s, group.source, group.group)
            if stored is None:
                stored = AlertGroupRow(source=group.source, group_key=group.group)
                s.add(stored)
            stored.incident_id = row.id
            stored.status = group.status
            stored.fingerprints = list(group.fingerprints)
            stored.resolved_at = group.resolved_at
            stored.name, stored.detected_at, stored.url = group.name[:500], group.detected_at, group.url[:1000]
            stored.updated_at = datetime.now(UTC)
            s.flush()  # a unique clash surfaces here, inside the transaction


def _group_row(s: Session, source: str, group: str) -> AlertGroupRow | None:
    return s.scalars(select(AlertGroupRow).where(AlertGroupRow.source == source,
                                                 AlertGroupRow.group_key == group)).first()


def to_alert_group(row: AlertGroupRow) -> AlertGroup:
    """The domain group a row holds."""
    return AlertGroup(source=row.source, group=row.group_key, status=row.status,
                      fingerprints=tuple(row.fingerprints or ()), resolved_at=row.resolved_at,
                      name=row.name or "", detected_at=row.detected_at, url=row.url or "")
