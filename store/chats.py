"""Incidents in chat (a mixin of `Store`): each incident's channel, its pinned summary, and what chat was last told.

The channel is found both ways: from the incident (to follow the issue in chat) and from the channel
(a command or a reaction in it acts on its incident). Unlike the incident index, none of this can be
rebuilt from the issues: a lost row would mean a second channel for the same incident.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import fields, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidents.model import Incident, IncidentChat
from store.models import IncidentChatRow, IncidentRow
from store.records import to_incident

CHAT_FIELDS = tuple(f.name for f in fields(IncidentChat))


class UnknownIncident(LookupError):
    """The incident has no row yet: save it before its chat."""


class ChatStore:
    """Mixed into `Store`; needs its `session()` and `_row()`."""

    if TYPE_CHECKING:  # Store's, declared for the type checker
        def session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _row(s: Session, platform: str, repository: str, number: int) -> IncidentRow | None: ...

    def incident_chat(self, incident: Incident) -> IncidentChat | None:
        """The incident's chat as last saved; None when it has none."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            chat = _chat_row(s, row.id) if row is not None else None
            return _to_chat(chat) if chat is not None else None

    def incident_by_channel(self, channel_id: str) -> Incident | None:
        """The incident whose channel this is; None for any other channel."""
        with self.session() as s:
            row = s.scalars(select(IncidentRow).join(IncidentChatRow, IncidentChatRow.incident_id == IncidentRow.id)
                            .where(IncidentChatRow.channel_id == channel_id)).first()
            return to_incident(row) if row is not None else None

    def save_incident_chat(self, incident: Incident, **changes) -> IncidentChat:
        """Set the given fields of the incident's chat (IncidentChat's names), creating it when it has none;
        the others keep their values. The chat as saved.

        Raises UnknownIncident when the incident was never saved, TypeError for a name IncidentChat has not,
        and IntegrityError when the channel is already another incident's.
        """
        unknown = sorted(set(changes) - set(CHAT_FIELDS))
        if unknown:
            raise TypeError(f"IncidentChat has no field {unknown[0]!r}")
        try:
            return self._save_chat(incident, changes)
        except IntegrityError:
            # Another worker created the row between our read and our insert: now it is there, update it.
            # (When the channel is another incident's, this raises the IntegrityError again.)
            return self._save_chat(incident, changes)

    def _save_chat(self, incident: Incident, changes: dict) -> IncidentChat:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                raise UnknownIncident(f"{incident.platform}:{incident.repository}#{incident.number}")
            chat = _chat_row(s, row.id)
            if chat is None:
                chat = IncidentChatRow(incident_id=row.id)
                s.add(chat)
            for name, value in changes.items():
                setattr(chat, name, value)
            s.flush()  # a unique clash surfaces here, inside the transaction
            return _to_chat(chat)

    def chats_to_archive(self, before: datetime) -> list[tuple[Incident, IncidentChat]]:
        """Incidents closed at or before `before` whose channel is not archived yet, oldest close first.

        The caller decides per repository (its `slack.archive_after`) which of them are due.
        """
        with self.session() as s:
            rows = s.execute(select(IncidentRow, IncidentChatRow)
                             .join(IncidentChatRow, IncidentChatRow.incident_id == IncidentRow.id)
                             .where(IncidentRow.closed_at.is_not(None), IncidentRow.closed_at <= before,
                                    IncidentChatRow.channel_id.is_not(None), IncidentChatRow.archived_at.is_(None))
                             .order_by(IncidentRow.closed_at, IncidentRow.id)).all()
            return [(to_incident(incident), _to_chat(chat)) for incident, chat in rows]


def _chat_row(s: Session, incident_row_id: int) -> IncidentChatRow | None:
    return s.scalars(select(IncidentChatRow).where(IncidentChatRow.incident_id == incident_row_id)).first()


def _to_chat(row: IncidentChatRow) -> IncidentChat:
    return replace(IncidentChat(), **{name: getattr(row, name) for name in CHAT_FIELDS})
