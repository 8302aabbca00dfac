"""Persistence (SQLAlchemy 2): the incident index. Schema changes go through Alembic migrations."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from incidents.model import Incident, Severity, Status
from store.models import FollowUpRow, IncidentRow

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(database_url: str) -> None:
    """Bring the database schema up to the newest migration."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


class Store:
    """Reads and writes incidents as domain objects; callers never see rows."""

    def __init__(self, database_url: str):
        kwargs = {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {"pool_pre_ping": True}
        self.engine = create_engine(database_url, **kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self):
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def get_incident(self, platform: str, repository: str, number: int) -> Incident | None:
        with self.session() as s:
            row = self._row(s, platform, repository, number)
            return _to_incident(row) if row else None

    def save_incident(self, incident: Incident) -> None:
        """Insert or update the incident keyed by (platform, repository, number)."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                row = IncidentRow(platform=incident.platform, repository=incident.repository,
                                  number=incident.number)
                s.add(row)
            row.title = incident.title
            row.url = incident.url
            row.status = incident.status.value
            row.severity = incident.severity.value if incident.severity else None
            row.components = list(incident.components)
            row.commander = incident.commander
            row.operations_lead = incident.operations_lead
            row.communications_lead = incident.communications_lead
            row.reported_at = incident.reported_at
            row.resolved_at = incident.resolved_at
            row.closed_at = incident.closed_at
            row.tracking = incident.tracking
            row.installation_id = incident.installation_id
            row.last_update_at = incident.last_update_at
            row.forced_close = incident.forced_close

    def incidents(self, repository: str | None = None) -> list[Incident]:
        with self.session() as s:
            query = select(IncidentRow).order_by(IncidentRow.id)
            if repository:
                query = query.where(IncidentRow.repository == repository)
            return [_to_incident(r) for r in s.scalars(query)]

    def set_follow_ups(self, incident: Incident, issues: list[tuple[str, int, str]]) -> None:
        """Record the issues (repository, number, ref) that the incident's action items link to."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                return
            wanted = {(repo, number): ref for repo, number, ref in issues}
            existing = s.scalars(select(FollowUpRow).where(FollowUpRow.incident_id == row.id)).all()
            for follow_up in existing:
                if (follow_up.repository, follow_up.number) not in wanted:
                    s.delete(follow_up)
                else:
                    wanted.pop((follow_up.repository, follow_up.number))
            for (repo, number), ref in wanted.items():
                s.add(FollowUpRow(incident_id=row.id, platform=incident.platform, repository=repo,
                                  number=number, ref=ref))

    def incidents_following(self, platform: str, repository: str, number: int) -> list[Incident]:
        """Tracked incidents whose action items link to this issue."""
        with self.session() as s:
            rows = s.scalars(select(IncidentRow).join(FollowUpRow, FollowUpRow.incident_id == IncidentRow.id).where(
                FollowUpRow.platform == platform, FollowUpRow.repository == repository,
                FollowUpRow.number == number, IncidentRow.tracking.is_(True))).all()
            return [_to_incident(r) for r in rows]

    def unresolved_incidents(self) -> list[Incident]:
        with self.session() as s:
            rows = s.scalars(select(IncidentRow).where(IncidentRow.tracking.is_(True),
                                                       IncidentRow.status != Status.RESOLVED.value))
            return [_to_incident(r) for r in rows]

    @staticmethod
    def _row(s: Session, platform: str, repository: str, number: int) -> IncidentRow | None:
        return s.scalars(select(IncidentRow).where(
            IncidentRow.platform == platform, IncidentRow.repository == repository,
            IncidentRow.number == number)).first()


def _to_incident(row: IncidentRow) -> Incident:
    return Incident(
        platform=row.platform, repository=row.repository, number=row.number, title=row.title,
        url=row.url or "", status=Status(row.status), severity=Severity(row.severity) if row.severity else None,
        components=tuple(row.components or ()), commander=row.commander, operations_lead=row.operations_lead,
        communications_lead=row.communications_lead, reported_at=row.reported_at,
        resolved_at=row.resolved_at, closed_at=row.closed_at, tracking=row.tracking,
        installation_id=row.installation_id, last_update_at=row.last_update_at,
        forced_close=bool(row.forced_close),
    )
