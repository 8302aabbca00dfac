"""Persistence (SQLAlchemy 2): the incident index. Schema changes go through Alembic migrations."""
from __future__ import annotations

import ast
import os
import re
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, exc, select, text
from sqlalchemy.orm import Session, sessionmaker

from incidents.model import BlogDraft, Incident, Link
from store.alert_groups import AlertGroupStore
from store.boards import BoardIssue, BoardStore  # noqa: F401
from store.chats import ChatStore, UnknownIncident  # noqa: F401
from store.ledger import LedgerStore
from store.maintenances import MaintenanceStore
from store.models import BlogDraftRow, FollowUpRow, IncidentRow, LinkRow, PublicationRow
from store.nudges import NudgeStore
from store.onboarding import OnboardingStore
from store.publications import PublicationStore, SlugTaken, bump_pages  # noqa: F401
from store.records import to_incident, to_link
from store.similar import SimilarStore

# What the tracking table (`incident-desk export`, `report`) shows of an incident.
_TRACKING_COLUMNS = (
    IncidentRow.platform, IncidentRow.repository, IncidentRow.number, IncidentRow.title, IncidentRow.status,
    IncidentRow.severity, IncidentRow.components, IncidentRow.commander, IncidentRow.taxonomy,
    IncidentRow.reported_at, IncidentRow.resolved_at, IncidentRow.closed_at, IncidentRow.open_actions,
    IncidentRow.ttd_seconds, IncidentRow.ttf_seconds, IncidentRow.ttr_seconds,
    IncidentRow.url, IncidentRow.root_cause, IncidentRow.done_actions)
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30.0  # how long a statement waits for another client's lock before it gives up


def busy_timeout() -> float:
    """Seconds a statement waits for a lock (INCIDENT_DESK_DB_BUSY_TIMEOUT, default 30)."""
    return float(os.environ.get("INCIDENT_DESK_DB_BUSY_TIMEOUT") or BUSY_TIMEOUT_SECONDS)


def is_transient(error: BaseException) -> bool:
    """A lock held too long, or a connection lost or refused: the same statement may work later."""
    if isinstance(error, (exc.OperationalError, exc.TimeoutError)):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def error_summary(error: BaseException) -> str | None:
    """A database error as a log may say it: its kind and the driver's first line, without the statement and its
    parameters (they hold what people wrote). None for an error that is not the database's."""
    if not isinstance(error, exc.StatementError):
        return None
    driver = str(error.orig).strip() if error.orig is not None else ""
    return f"{error.__class__.__name__}: {driver.splitlines()[0] if driver else 'the statement failed'}"


def _engine_options(database_url: str) -> dict:
    """Lock waits bounded by the busy timeout on both databases, so a locked database fails the
    statement (to be retried by the job) instead of holding a worker."""
    wait = busy_timeout()
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": wait}}
    options = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": 10, "options": f"-c lock_timeout={int(wait * 1000)}"}
    return options


def migrate(database_url: str) -> None:
    """Bring the database schema up to the newest migration; nothing but one query when it is there already
    (every CLI command starts with this, and Alembic's upgrade costs a third of a second even then)."""
    head = head_revision()
    if head is not None and database_revisions(database_url) == [head]:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


def head_revision() -> str | None:
    """The newest migration, read from the files' `revision` and `down_revision` lines without importing
    them; None when they are not plain literals or there is not exactly one head (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue  # the package's __init__.py
        try:
            revision, down = ast.literal_eval(found["revision"]), ast.literal_eval(found.get("down_revision", ""))
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not (down is None or isinstance(down, (str, tuple))):
            return None
        revisions.add(revision)
        parents.update((down,) if isinstance(down, str) else down or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def database_revisions(database_url: str) -> list[str]:
    """The revisions `alembic_version` records (none for a new database)."""
    engine = create_engine(database_url, **_engine_options(database_url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except exc.DBAPIError:  # no such table yet, or no database: the upgrade says what is wrong
        return []
    finally:
        engine.dispose()


class Store(PublicationStore, LedgerStore, ChatStore, AlertGroupStore, NudgeStore, MaintenanceStore,
            SimilarStore, OnboardingStore, BoardStore):
    """Reads and writes incidents as domain objects; callers never see rows."""

    def __init__(self, database_url: str):
        self.engine = create_engine(database_url, **_engine_options(database_url))
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
            return to_incident(row) if row else None

    def save_incident(self, incident: Incident) -> None:
        """Insert or update the incident keyed by (platform, repository, number)."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                row = IncidentRow(platform=incident.platform, repository=incident.repository,
                                  number=incident.number)
                s.add(row)
            elif to_incident(row) != incident and self._published(s, row.id):
                # its title, state, components and privacy are on pages: they need new renders and ETags
                bump_pages(s, incident.platform, incident.repository)
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
            row.private = incident.private
            for field in ("taxonomy", "open_actions", "ttd_seconds", "ttf_seconds", "ttr_seconds"):
                setattr(row, field, getattr(incident, field))
            row.root_cause, row.done_actions = incident.root_cause, incident.done_actions

    def summary_comment(self, incident: Incident) -> tuple[int, str] | None:
        """The incident's summary comment as last written: (comment id, digest of its text), if known."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None or row.summary_comment_id is None or row.summary_digest is None:
                return None
            return row.summary_comment_id, row.summary_digest

    def set_summary_comment(self, incident: Incident, comment_id: int, digest: str) -> None:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is not None:
                row.summary_comment_id, row.summary_digest = comment_id, digest

    def incidents(self, repository: str | None = None) -> list[Incident]:
        with self.session() as s:
            query = select(IncidentRow).order_by(IncidentRow.id)
            if repository:
                query = query.where(IncidentRow.repository == repository)
            return [to_incident(r) for r in s.scalars(query)]

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
            return [to_incident(r) for r in rows]

    def links(self, incident: Incident) -> list[Link]:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            if row is None:
                return []
            rows = s.scalars(select(LinkRow).where(LinkRow.incident_id == row.id).order_by(LinkRow.id))
            return [to_link(r) for r in rows]

    def save_link(self, incident: Incident, link: Link) -> bool:
        """Insert or update the link; True when anything changed."""
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            existing = s.scalars(select(LinkRow).where(LinkRow.incident_id == row.id,
                                                       LinkRow.repository == link.repository,
                                                       LinkRow.number == link.number)).first()
            if existing is not None and to_link(existing) == link:
                return False
            if existing is None:
                existing = LinkRow(incident_id=row.id, repository=link.repository, number=link.number)
                s.add(existing)
            for field in ("role", "source", "url", "title", "merged_at", "head_sha", "check_state"):
                setattr(existing, field, getattr(link, field))
            return True

    def remove_link(self, incident: Incident, repository: str, number: int) -> bool:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            link = s.scalars(select(LinkRow).where(LinkRow.incident_id == row.id, LinkRow.repository == repository,
                                                   LinkRow.number == number)).first()
            if link is None:
                return False
            s.delete(link)
            return True

    def blog_draft(self, incident: Incident) -> BlogDraft | None:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            draft = s.scalars(select(BlogDraftRow).where(BlogDraftRow.incident_id == row.id)).first() if row else None
            return BlogDraft(draft.repository, draft.path, draft.branch, draft.merge_request, draft.url) \
                if draft else None

    def save_blog_draft(self, incident: Incident, draft: BlogDraft) -> None:
        with self.session() as s:
            row = self._row(s, incident.platform, incident.repository, incident.number)
            stored = s.scalars(select(BlogDraftRow).where(BlogDraftRow.incident_id == row.id)).first()
            if stored is None:
                stored = BlogDraftRow(incident_id=row.id)
                s.add(stored)
            stored.repository, stored.path, stored.branch = draft.repository, draft.path, draft.branch
            stored.merge_request, stored.url = draft.merge_request, draft.url

    def all_links(self) -> dict[tuple[str, str, int], list[Link]]:
        """Every link, by (platform, repository, number) of its incident: one query for exports."""
        with self.session() as s:
            rows = s.execute(select(IncidentRow.platform, IncidentRow.repository, IncidentRow.number, LinkRow)
                             .join(LinkRow, LinkRow.incident_id == IncidentRow.id).order_by(LinkRow.id)).all()
            found: dict[tuple[str, str, int], list[Link]] = {}
            for platform, repository, number, link in rows:
                found.setdefault((platform, repository, number), []).append(to_link(link))
            return found

    def tracking_table(self, repository: str | None = None, since: datetime | None = None) -> list:
        """The tracking table's columns of every incident, as rows (no ORM objects), in the order recorded;
        `since`: reported at or after it. Exports of 10,000 incidents spent most of their time building objects."""
        with self.session() as s:
            query = select(*_TRACKING_COLUMNS).order_by(IncidentRow.id)
            if repository:
                query = query.where(IncidentRow.repository == repository)
            if since is not None:
                query = query.where(IncidentRow.reported_at >= since)
            return list(s.execute(query))

    def link_urls(self) -> dict[tuple[str, str, int], list[tuple[str, str]]]:
        """Every link's (role, url), by (platform, repository, number) of its incident: one query for exports."""
        with self.session() as s:
            rows = s.execute(select(IncidentRow.platform, IncidentRow.repository, IncidentRow.number, LinkRow.role,
                                    LinkRow.url).join(LinkRow, LinkRow.incident_id == IncidentRow.id)
                             .order_by(LinkRow.id))
            found: dict[tuple[str, str, int], list[tuple[str, str]]] = {}
            for platform, repository, number, role, url in rows:
                found.setdefault((platform, repository, number), []).append((role, url or ""))
            return found

    def incidents_linked_to(self, platform: str, repository: str, number: int) -> list[tuple[Incident, Link]]:
        """The incidents a merge request is linked to, with the link."""
        with self.session() as s:
            rows = s.execute(select(IncidentRow, LinkRow).join(LinkRow, LinkRow.incident_id == IncidentRow.id).where(
                IncidentRow.platform == platform, LinkRow.repository == repository, LinkRow.number == number)).all()
            return [(to_incident(incident_row), to_link(link_row)) for incident_row, link_row in rows]

    @staticmethod
    def _published(s: Session, incident_row_id: int) -> bool:
        return s.scalar(select(PublicationRow.id).where(PublicationRow.incident_id == incident_row_id,
                                                        PublicationRow.published.is_(True))) is not None

    @staticmethod
    def _row(s: Session, platform: str, repository: str, number: int) -> IncidentRow | None:
        return s.scalars(select(IncidentRow).where(
            IncidentRow.platform == platform, IncidentRow.repository == repository,
            IncidentRow.number == number)).first()
