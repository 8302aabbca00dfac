"""Nudge state (a mixin of `Store`, issue 18): per incident and item, when it was last nudged and its snooze.

Items are keyed by incidents.nudges (an action item by its words, `postmortem`, `*` for the whole incident)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidents.model import Incident
from incidents.nudges import NudgeState
from store.chats import UnknownIncident
from store.models import IncidentRow, NudgeRow


class NudgeStore:
    """Mixed into `Store`; needs its `session()` and `_row()`."""

    if TYPE_CHECKING:  # Store's, declared for the type checker
        def session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _row(s: Session, platform: str, repository: str, number: int) -> IncidentRow | None: ...

    def nudge_states(self, incident: Incident) -> dict[str, NudgeState]:
        """Every item of the incident the store remembers, by key."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                return {}
            rows = s.scalars(select(NudgeRow).where(NudgeRow.incident_id == row.id))
            return {r.item_key: NudgeState(r.last_at, r.snoozed_until) for r in rows}

    def record_nudge(self, incident: Incident, key: str, at: datetime) -> None:
        """The item was nudged at `at`."""
        self._set_nudge(incident, key, last_at=at)

    def snooze_nudges(self, incident: Incident, keys: list[str], until: datetime) -> None:
        """Pause the items' nudges until `until` (a later snooze replaces an earlier one)."""
        for key in keys:
            self._set_nudge(incident, key, snoozed_until=until)

    def _set_nudge(self, incident: Incident, key: str, **values: datetime) -> None:
        try:
            self._write_nudge(incident, key, values)
        except IntegrityError:  # another worker inserted it between our read and our insert
            self._write_nudge(incident, key, values)

    def _write_nudge(self, incident: Incident, key: str, values: dict[str, datetime]) -> None:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                raise UnknownIncident(f"{incident.platform}:{incident.repository}#{incident.number}")
            stored = s.scalars(select(NudgeRow).where(NudgeRow.incident_id == row.id,
                                                      NudgeRow.item_key == key)).first()
            if stored is None:
                stored = NudgeRow(incident_id=row.id, item_key=key)
                s.add(stored)
            for name, value in values.items():
                setattr(stored, name, value)
            s.flush()
