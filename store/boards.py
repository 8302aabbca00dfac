"""The incident board (a mixin of `Store`, issue 19): where each board issue is with the digest of its text, and
what the board shows of each incident beyond its row (postmortem state, reminder interval, due action items)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidents.board import BoardFacts, DueAction, board_key
from incidents.model import Incident
from store.models import BoardFactsRow, BoardRow, IncidentRow
from store.records import to_incident


@dataclass(frozen=True)
class BoardIssue:
    """A board issue as last written."""

    repository: str
    number: int
    digest: str
    written_at: datetime | None


class BoardStore:
    """Mixed into `Store`; needs its `session()` and `_row()`."""

    if TYPE_CHECKING:  # Store's, declared for the type checker
        def session(self) -> AbstractContextManager[Session]: ...

        @staticmethod
        def _row(s: Session, platform: str, repository: str, number: int) -> IncidentRow | None: ...

    def save_board_facts(self, incident: Incident, facts: BoardFacts) -> bool:
        """Keep what the board shows of a stored incident; whether anything changed (no row: nothing)."""
        due = [{"text": a.text, "owner": a.owner, "due": a.due.isoformat()} for a in facts.due_actions]
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                return False
            kept = s.get(BoardFactsRow, row.id)
            if kept is None:
                kept = BoardFactsRow(incident_id=row.id)
                s.add(kept)
            elif _facts(kept) == facts:
                return False
            kept.postmortem_complete = facts.postmortem_complete
            kept.reminder_seconds = facts.reminder_interval.total_seconds()
            kept.due_actions = due
            return True

    def board_entries(self, platform: str, owner: str | None = None) -> list[tuple[Incident, BoardFacts]]:
        """Every incident of `platform` (of one owner or group, when given) with its board facts."""
        with self.session() as s:
            rows = s.execute(select(IncidentRow, BoardFactsRow)
                             .outerjoin(BoardFactsRow, BoardFactsRow.incident_id == IncidentRow.id)
                             .where(IncidentRow.platform == platform).order_by(IncidentRow.id)).all()
            entries = [(to_incident(row), _facts(kept) if kept is not None else BoardFacts()) for row, kept in rows]
        return [(i, f) for i, f in entries if owner is None or board_key(i.repository) == owner.lower()]

    def board_issue(self, platform: str, owner: str) -> BoardIssue | None:
        with self.session() as s:
            row = self._board(s, platform, owner)
            return BoardIssue(row.repository, row.number, row.digest, row.written_at) if row else None

    def set_board_issue(self, platform: str, owner: str, issue: BoardIssue) -> None:
        try:
            with self.session() as s:
                row = self._board(s, platform, owner)
                if row is None:
                    row = BoardRow(platform=platform, owner=owner.lower())
                    s.add(row)
                row.repository, row.number, row.digest = issue.repository, issue.number, issue.digest
                row.written_at = issue.written_at
        except IntegrityError:  # another worker wrote the first one at the same moment: its row stands
            return

    def forget_board_issue(self, platform: str, repository: str, number: int) -> bool:
        """The issue repository#number transferred or deleted by hand: when it is a board issue, forgotten, so the
        board's next update opens a new one. Whether it was."""
        with self.session() as s:
            row = self._board(s, platform, board_key(repository))
            if row is None or row.repository.lower() != repository.lower() or row.number != number:
                return False
            s.delete(row)
            return True

    @staticmethod
    def _board(s: Session, platform: str, owner: str) -> BoardRow | None:
        return s.scalars(select(BoardRow).where(BoardRow.platform == platform,
                                                BoardRow.owner == owner.lower())).first()


def _facts(row: BoardFactsRow) -> BoardFacts:
    due = tuple(DueAction(item["text"], item.get("owner"), date.fromisoformat(item["due"]))
                for item in row.due_actions or ())
    return BoardFacts(bool(row.postmortem_complete), timedelta(seconds=row.reminder_seconds or 3600.0), due)
