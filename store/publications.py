"""The status page's part of the store: pages, publications, public updates, subscribers, notifications.
Unlike the incident index, none of this can be rebuilt from the issues (DESIGN "sync")."""
from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, null, or_, select, update
from sqlalchemy.exc import IntegrityError

from incidents.config_model import Component
from incidents.model import Incident, Severity, Status
from incidents.status_page import Publication, PublicIncident, PublicUpdate, StatusPage, Subscriber
from store.models import IncidentRow, NotificationRow, PublicationRow, StatusPageRow, StatusUpdateRow, SubscriberRow
from store.records import to_incident


class SlugTaken(Exception):
    """Another repository's page already has this slug."""


class PublicationStore:
    """Mixed into `Store`; needs its `session()` and `_row()`."""

    # --- pages ---------------------------------------------------------------------------

    def save_status_page(self, page: StatusPage) -> bool:
        """Record the page as the repository's config declares it (`repositories` as listed there); True
        when anything changed. A listed repository keeps its opt-in while the slug stays the same."""
        page = replace(page, repositories=tuple(dict.fromkeys(page.repositories)))
        with self.session() as s:
            owner = s.scalars(select(StatusPageRow).where(StatusPageRow.slug == page.slug)).first()
            if owner is not None and (owner.platform, owner.repository) != (page.platform, page.repository):
                raise SlugTaken(page.slug)
            row = s.scalars(select(StatusPageRow).where(StatusPageRow.platform == page.platform,
                                                        StatusPageRow.repository == page.repository)).first()
            if row is not None and _to_page(row, listed=True) == page:
                return False
            now = datetime.now(UTC)
            known = _to_page(row).created if row is not None else {}
            if row is None:
                row = StatusPageRow(platform=page.platform, repository=page.repository)
                s.add(row)
            else:  # a listed repository may be giving or taking back its opt-in right now
                s.refresh(row, with_for_update=True)
            opted_in = _opted_in(row) if row.slug == page.slug else set()  # consent was given to a slug
            row.slug, row.title, row.timezone = page.slug, page.title, page.timezone
            row.components = [{"id": c.id, "name": c.name, "description": c.description, "group": c.group,
                               "created_at": known.get(c.id, now).isoformat()} for c in page.components]
            row.repositories = [{"repository": r, "opted_in": r in opted_in} for r in page.repositories]
            row.updated_at = datetime.now(UTC)
            row.version = (row.version or 0) + 1  # the row is locked (or new): no other writer in between
            return True

    def keep_opt_ins(self, platform: str, repository: str, slugs) -> None:
        """The repository's own say (its config's `status_page.pages`) on every other page listing it."""
        with self.session() as s:
            for row in s.scalars(select(StatusPageRow).where(StatusPageRow.platform == platform,
                                                             StatusPageRow.repository != repository)
                                 .order_by(StatusPageRow.id)).all():  # locked in the order bump_pages uses
                if not _opt_in_changes(row, repository, slugs):
                    continue  # the common case, every delivery: nothing to write, no lock taken
                s.refresh(row, with_for_update=True)  # the page's own delivery may be rewriting it
                if not _opt_in_changes(row, repository, slugs):
                    continue
                opted_in = _opted_in(row) ^ {repository}
                row.repositories = [{"repository": r, "opted_in": r in opted_in} for r in _listed(row)]
                row.updated_at = datetime.now(UTC)
                row.version = (row.version or 0) + 1  # what the page shows changed: new ETags, new renders

    def remove_status_page(self, platform: str, repository: str) -> bool:
        with self.session() as s:
            row = s.scalars(select(StatusPageRow).where(StatusPageRow.platform == platform,
                                                        StatusPageRow.repository == repository)).first()
            if row is None:
                return False
            s.delete(row)
            return True

    def status_page_version(self, slug: str) -> tuple[int, datetime] | None:
        """The page's version and when its definition last changed, without reading the page: what a
        conditional GET needs to answer 304, and the render cache's key."""
        with self.session() as s:
            found = s.execute(select(StatusPageRow.version, StatusPageRow.updated_at)
                              .where(StatusPageRow.slug == slug)).first()
            return (found.version or 0, found.updated_at) if found else None

    def status_page(self, slug: str) -> tuple[StatusPage, datetime] | None:
        """The page and when its definition last changed."""
        with self.session() as s:
            row = s.scalars(select(StatusPageRow).where(StatusPageRow.slug == slug)).first()
            return (_to_page(row), row.updated_at) if row else None

    def status_pages(self) -> list[StatusPage]:
        with self.session() as s:
            return [_to_page(r) for r in s.scalars(select(StatusPageRow).order_by(StatusPageRow.slug))]

    def pages_showing(self, platform: str, repository: str) -> list[StatusPage]:
        return [page for page in self.status_pages() if page.shows(platform, repository)]

    # --- publication ---------------------------------------------------------------------

    def publication(self, incident: Incident) -> Publication | None:
        with self.session() as s:
            row = self._publication_row(s, incident)
            return _to_publication(row) if row else None

    def set_publication(self, incident: Incident, **changes) -> Publication:
        """Create the incident's publication record if needed (with a fresh public id) and apply `changes`."""
        with self.session() as s:
            row = self._publication_row(s, incident)
            if row is None:
                row = PublicationRow(incident_id=self._row(s, incident.platform, incident.repository,
                                                           incident.number).id,
                                     public_id=secrets.token_hex(6), published=False, name=incident.title)
                s.add(row)
            for field, value in changes.items():
                setattr(row, field, value)
            s.flush()
            bump_pages(s, incident.platform, incident.repository)
            return _to_publication(row)

    def add_update(self, incident: Incident, key: str, message: str, at: datetime) -> int | None:
        """Record a public update with the incident's state now; None when `key` was already recorded."""
        try:
            with self.session() as s:
                row = self._row(s, incident.platform, incident.repository, incident.number)
                update = StatusUpdateRow(incident_id=row.id, key=key[:200], status=incident.status.value,
                                         severity=incident.severity.value if incident.severity else None,
                                         components=list(incident.components), message=message, created_at=at)
                s.add(update)
                s.flush()
                publication = s.scalars(select(PublicationRow).where(PublicationRow.incident_id == row.id)).first()
                if publication is not None:  # the public status is what the last update said
                    publication.status = incident.status.value
                    resolved = incident.status is Status.RESOLVED
                    publication.resolved_at = (publication.resolved_at or at) if resolved else None
                    bump_pages(s, incident.platform, incident.repository)
                return update.id
        except IntegrityError:
            return None

    def public_incidents(self, page: StatusPage, *, active_only: bool = False, since: datetime | None = None,
                         limit: int | None = None, public_id: str | None = None,
                         updates: str = "all") -> list[PublicIncident]:
        """The page's published incidents, newest first.

        `updates` is "all" (oldest first), "latest" (the newest only) or "none". The postmortem's text is
        read only for one incident (`public_id`); lists carry `postmortem_at`, so a page of 1,200 incidents
        does not read 1,200 documents."""
        with self.session() as s:
            postmortem = PublicationRow.postmortem if public_id is not None else null().label("postmortem")
            query = (select(*_PUBLIC_COLUMNS, postmortem)
                     .join(PublicationRow, PublicationRow.incident_id == IncidentRow.id)
                     .where(PublicationRow.published.is_(True), IncidentRow.private.is_(False),
                            IncidentRow.platform == page.platform,
                            IncidentRow.repository.in_((page.repository, *page.repositories)))
                     .order_by(IncidentRow.reported_at.desc(), IncidentRow.id.desc()))
            if active_only:
                query = query.where(PublicationRow.resolved_at.is_(None))
            if since is not None:
                query = query.where(or_(PublicationRow.resolved_at.is_(None), PublicationRow.resolved_at >= since))
            if public_id is not None:
                query = query.where(PublicationRow.public_id == public_id)
            if limit is not None:
                query = query.limit(limit)
            rows = s.execute(query).all()
            found: dict[int, list[PublicUpdate]] = {row.incident_row_id: [] for row in rows}
            if updates != "none" and rows:
                ids = list(found)
                for chunk in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
                    for u in s.execute(_updates_of(ids[chunk:chunk + 500], latest_only=updates == "latest")):
                        found[u.incident_id].append(_to_update(u))
            return [_public_from(row, found[row.incident_row_id]) for row in rows]

    def update_context(self, update_id: int) -> tuple[Incident, PublicIncident, PublicUpdate] | None:
        """A public update with its incident, for notifications; None once it is no longer public."""
        with self.session() as s:
            found = s.execute(select(IncidentRow, StatusUpdateRow, PublicationRow.published, *_PUBLIC_COLUMNS,
                                     PublicationRow.postmortem)
                              .join(PublicationRow, PublicationRow.incident_id == IncidentRow.id)
                              .join(StatusUpdateRow, StatusUpdateRow.incident_id == IncidentRow.id)
                              .where(StatusUpdateRow.id == update_id)).first()
            if found is None or not found.published or found.IncidentRow.private:
                return None
            all_updates = [_to_update(u) for u in s.execute(
                _updates_of([found.incident_row_id]).where(StatusUpdateRow.id <= update_id))]
            return to_incident(found.IncidentRow), _public_from(found, all_updates), _to_update(found.StatusUpdateRow)

    # --- subscribers ---------------------------------------------------------------------

    def add_subscriber(self, slug: str, kind: str, address: str, components=(), secret: str | None = None,
                       confirmed: bool = False) -> Subscriber:
        """A new subscriber, or the existing one for the same address (its component choice replaced)."""
        now = datetime.now(UTC)
        with self.session() as s:
            row = s.scalars(select(SubscriberRow).where(SubscriberRow.slug == slug, SubscriberRow.kind == kind,
                                                        func.lower(SubscriberRow.address) == address.lower())).first()
            if row is None:
                row = SubscriberRow(slug=slug, kind=kind, address=address, token=secrets.token_urlsafe(24),
                                    created_at=now, secret=secret)
                s.add(row)
            row.components = sorted(set(components))
            if confirmed and row.confirmed_at is None:
                row.confirmed_at = now
            s.flush()
            return _to_subscriber(row)

    def subscriber(self, *, token: str | None = None, id: int | None = None) -> Subscriber | None:
        with self.session() as s:
            query = select(SubscriberRow).where(SubscriberRow.token == token) if token else \
                select(SubscriberRow).where(SubscriberRow.id == id)
            row = s.scalars(query).first()
            return _to_subscriber(row) if row else None

    def confirm_subscriber(self, token: str) -> Subscriber | None:
        with self.session() as s:
            row = s.scalars(select(SubscriberRow).where(SubscriberRow.token == token)).first()
            if row is None:
                return None
            row.confirmed_at = row.confirmed_at or datetime.now(UTC)
            return _to_subscriber(row)

    def remove_subscriber(self, token: str) -> Subscriber | None:
        with self.session() as s:
            row = s.scalars(select(SubscriberRow).where(SubscriberRow.token == token)).first()
            if row is None:
                return None
            s.delete(row)
            return _to_subscriber(row)

    def subscribers(self, slug: str, *, confirmed_only: bool = True) -> list[Subscriber]:
        with self.session() as s:
            query = select(SubscriberRow).where(SubscriberRow.slug == slug).order_by(SubscriberRow.id)
            if confirmed_only:
                query = query.where(SubscriberRow.confirmed_at.is_not(None))
            return [_to_subscriber(r) for r in s.scalars(query)]

    # --- notifications -------------------------------------------------------------------

    def notification_attempt(self, update_id: int, subscriber_id: int) -> bool:
        """Count an attempt to send; False when it was already sent."""
        try:
            with self.session() as s:
                row = s.scalars(select(NotificationRow).where(NotificationRow.update_id == update_id,
                                                              NotificationRow.subscriber_id == subscriber_id)).first()
                if row is None:
                    row = NotificationRow(update_id=update_id, subscriber_id=subscriber_id, attempts=0)
                    s.add(row)
                if row.sent_at is not None:
                    return False
                row.attempts = (row.attempts or 0) + 1
                return True
        except IntegrityError:  # a concurrent first attempt; the row exists now
            return self.notification_attempt(update_id, subscriber_id)

    def notification_done(self, update_id: int, subscriber_id: int, error: str | None = None) -> None:
        """Mark the notification sent, or record why the last attempt failed."""
        with self.session() as s:
            row = s.scalars(select(NotificationRow).where(NotificationRow.update_id == update_id,
                                                          NotificationRow.subscriber_id == subscriber_id)).first()
            if row is None:
                return
            if error is None:
                row.sent_at, row.last_error = datetime.now(UTC), None
            else:
                row.last_error = error[:2000]

    @staticmethod
    def _publication_row(s, incident: Incident) -> PublicationRow | None:
        return s.scalars(select(PublicationRow).join(IncidentRow, IncidentRow.id == PublicationRow.incident_id).where(
            IncidentRow.platform == incident.platform, IncidentRow.repository == incident.repository,
            IncidentRow.number == incident.number)).first()


def bump_pages(s, platform: str, repository: str) -> None:
    """A new version for every page listing the repository (its own, or as another it shows, opted in or
    not), in the caller's transaction: an incident of it was written. Rows in id order, as keep_opt_ins
    locks them, so two writers never wait for each other crosswise."""
    pages = s.execute(select(StatusPageRow.id, StatusPageRow.repository, StatusPageRow.repositories)
                      .where(StatusPageRow.platform == platform).order_by(StatusPageRow.id)).all()
    for page in pages:
        if page.repository == repository or repository in _listed(page):
            s.execute(update(StatusPageRow).where(StatusPageRow.id == page.id)
                      .values(version=StatusPageRow.version + 1))


def _to_page(row: StatusPageRow, listed: bool = False) -> StatusPage:
    """The page; its `repositories` are the listed ones that opted in (all listed ones with `listed`)."""
    others = _listed(row) if listed else [r for r in _listed(row) if r in _opted_in(row)]
    return StatusPage(slug=row.slug, title=row.title, timezone=row.timezone, platform=row.platform,
                      repository=row.repository, repositories=tuple(others),
                      components=tuple(Component(c["id"], c.get("name") or c["id"], c.get("description") or "",
                                                 c.get("group")) for c in row.components or ()),
                      # When each component was first listed; rows from before it was kept give the page's change.
                      created={c["id"]: datetime.fromisoformat(c["created_at"]) if c.get("created_at")
                               else row.updated_at for c in row.components or ()})


def _listed(row: StatusPageRow) -> list[str]:
    """The repositories the page's config lists (rows written before opt-ins hold plain names)."""
    return [entry["repository"] if isinstance(entry, dict) else entry for entry in row.repositories or ()]


def _opt_in_changes(row: StatusPageRow, repository: str, slugs) -> bool:
    return repository in _listed(row) and (repository in _opted_in(row)) != (row.slug in slugs)


def _opted_in(row: StatusPageRow) -> set[str]:
    return {entry["repository"] for entry in row.repositories or ()
            if isinstance(entry, dict) and entry.get("opted_in")}


def _to_publication(row: PublicationRow) -> Publication:
    return Publication(public_id=row.public_id, published=bool(row.published), name=row.name,
                       published_at=row.published_at, workaround=row.workaround, postmortem=row.postmortem,
                       postmortem_at=row.postmortem_at)


def _to_update(row) -> PublicUpdate:
    """From a StatusUpdateRow, or a row of its columns."""
    return PublicUpdate(id=row.id, status=Status(row.status), message=row.message, at=row.created_at,
                        severity=Severity(row.severity) if row.severity else None,
                        components=tuple(row.components or ()))


# What a page shows of an incident, as columns: building ORM objects for a 90-day history of 1,200
# incidents took most of the overview's time.
_PUBLIC_COLUMNS = (
    IncidentRow.id.label("incident_row_id"), IncidentRow.title, IncidentRow.status.label("incident_status"),
    IncidentRow.severity, IncidentRow.components, IncidentRow.reported_at, IncidentRow.updated_at,
    PublicationRow.public_id, PublicationRow.name, PublicationRow.status.label("public_status"),
    PublicationRow.published_at, PublicationRow.resolved_at, PublicationRow.workaround, PublicationRow.postmortem_at)
_UPDATE_COLUMNS = (StatusUpdateRow.id, StatusUpdateRow.incident_id, StatusUpdateRow.status, StatusUpdateRow.severity,
                   StatusUpdateRow.components, StatusUpdateRow.message, StatusUpdateRow.created_at)


def _updates_of(incident_ids: list[int], latest_only: bool = False):
    """The public updates of these incidents, oldest first; with `latest_only`, each one's newest."""
    query = select(*_UPDATE_COLUMNS).where(StatusUpdateRow.incident_id.in_(incident_ids))
    if latest_only:
        newest_first = func.row_number().over(partition_by=StatusUpdateRow.incident_id,
                                              order_by=(StatusUpdateRow.created_at.desc(), StatusUpdateRow.id.desc()))
        ranked = select(StatusUpdateRow.id, newest_first.label("rank")) \
            .where(StatusUpdateRow.incident_id.in_(incident_ids)).subquery()
        query = query.join(ranked, ranked.c.id == StatusUpdateRow.id).where(ranked.c.rank == 1)
    return query.order_by(StatusUpdateRow.created_at, StatusUpdateRow.id)


def _public_from(row, updates: list[PublicUpdate]) -> PublicIncident:
    """A row of _PUBLIC_COLUMNS plus `postmortem` as the page shows it."""
    status = Status(row.public_status or row.incident_status)
    return PublicIncident(
        id=row.public_id, name=row.name or row.title, status=status,
        severity=Severity(row.severity) if row.severity else None,
        components=tuple(row.components or ()),
        started_at=row.reported_at or row.published_at or row.updated_at,
        resolved_at=row.resolved_at if status is Status.RESOLVED else None,
        published_at=row.published_at, updates=tuple(updates), workaround=row.workaround,
        postmortem=row.postmortem, postmortem_at=row.postmortem_at)


def _to_subscriber(row: SubscriberRow) -> Subscriber:
    return Subscriber(id=row.id, slug=row.slug, kind=row.kind, address=row.address, token=row.token,
                      components=tuple(row.components or ()), secret=row.secret, confirmed_at=row.confirmed_at)
