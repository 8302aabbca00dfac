"""The store's part of similar past incidents (issue 18): the incidents of one repository group."""
from __future__ import annotations

from sqlalchemy import or_, select

from incidents.model import Incident
from store.models import IncidentRow
from store.records import to_incident

PAST_LIMIT = 500  # the newest this many of a group are compared; older ones rarely matter and cost time


class SimilarStore:
    """Mixed into store.Store (which provides `session`)."""

    def group_incidents(self, platform: str, group: str, limit: int = PAST_LIMIT) -> list[Incident]:
        """The tracked incidents of the repositories under `group` (a GitHub owner, a GitLab group path), and of a
        repository named `group` itself, newest first."""
        with self.session() as s:  # type: ignore[attr-defined]
            rows = s.scalars(select(IncidentRow).where(
                IncidentRow.platform == platform, IncidentRow.tracking.is_(True),
                or_(IncidentRow.repository == group, IncidentRow.repository.startswith(f"{group}/", autoescape=True)))
                .order_by(IncidentRow.id.desc()).limit(limit))
            return [to_incident(row) for row in rows]
