"""Scheduled maintenance (a mixin of `Store`, issue 18): each `maintenance` issue's window as the issue last said,
its early close or cancellation, and the notices told. Every write bumps the pages showing its repository."""
from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incidents.maintenance import Maintenance, Window
from incidents.status_page import StatusPage
from store.models import MaintenanceNoticeRow, MaintenanceRow
from store.publications import bump_pages


class MaintenanceStore:
    """Mixed into `Store`; needs its `session()`."""

    if TYPE_CHECKING:  # Store's, declared for the type checker
        def session(self) -> AbstractContextManager[Session]: ...

    def save_maintenance(self, platform: str, repository: str, number: int, name: str, window: Window,
                         installation_id: int | None = None) -> tuple[Maintenance, bool]:
        """Create or update the issue's maintenance with its window (a labelled-again one is no longer
        cancelled); also whether anything changed."""
        with self.session() as s:
            row = _row(s, platform, repository, number)
            if row is None:
                row = MaintenanceRow(public_id=secrets.token_hex(6), platform=platform, repository=repository,
                                     number=number, told={}, created_at=datetime.now(UTC))
                s.add(row)
            before = _to_maintenance(row) if row.id is not None else None
            if before is not None and _moved_after_told(before, window):
                row.reschedules = (row.reschedules or 0) + 1
            row.installation_id = installation_id if installation_id is not None else row.installation_id
            row.name, row.message, row.components = name[:500], window.message, list(window.components)
            row.starts_at, row.ends_at, row.cancelled_at = window.start, window.end, None
            row.told = {k: v for k, v in (row.told or {}).items() if k != "cancelled"}
            s.flush()
            after = _to_maintenance(row)
            changed = before is None or (before.window, before.name, before.cancelled_at) != \
                (after.window, after.name, None)
            if changed:
                bump_pages(s, platform, repository)
            return after, changed

    def maintenance(self, platform: str, repository: str, number: int) -> Maintenance | None:
        with self.session() as s:
            row = _row(s, platform, repository, number)
            return _to_maintenance(row) if row is not None else None

    def maintenance_by_id(self, public_id: str) -> Maintenance | None:
        with self.session() as s:
            row = s.scalars(select(MaintenanceRow).where(MaintenanceRow.public_id == public_id)).first()
            return _to_maintenance(row) if row is not None else None

    def end_maintenance(self, platform: str, repository: str, number: int, *, closed_at: datetime | None = None,
                        cancelled_at: datetime | None = None) -> Maintenance | None:
        """The issue was closed (completed then, if not ended) or lost its label (cancelled), or reopened
        (both None: the close is undone)."""
        with self.session() as s:
            row = _row(s, platform, repository, number)
            if row is None:
                return None
            if cancelled_at is not None:
                row.cancelled_at = row.cancelled_at or cancelled_at
            else:
                row.closed_at = (row.closed_at or closed_at) if closed_at is not None else None
            bump_pages(s, platform, repository)
            return _to_maintenance(row)

    def mark_told(self, public_id: str, step: str, at: datetime) -> bool:
        """Record that subscribers are being told `step`; False when that was recorded already."""
        with self.session() as s:
            row = s.scalars(select(MaintenanceRow).where(MaintenanceRow.public_id == public_id)
                            .with_for_update()).first()
            if row is None or step in (row.told or {}):
                return False
            row.told = {**(row.told or {}), step: at.isoformat()}
            bump_pages(s, row.platform, row.repository)  # a step is also a moment the page changes
            return True

    def page_maintenances(self, page: StatusPage, since: datetime | None = None) -> list[Maintenance]:
        """The page's maintenances not finished before `since`, newest start first."""
        with self.session() as s:
            query = (select(MaintenanceRow).where(MaintenanceRow.platform == page.platform,
                                                  MaintenanceRow.repository.in_((page.repository,
                                                                                 *page.repositories)))
                     .order_by(MaintenanceRow.starts_at.desc(), MaintenanceRow.id.desc()))
            if since is not None:
                query = query.where(MaintenanceRow.ends_at >= since)
            return [_to_maintenance(r) for r in s.scalars(query)]

    def pending_maintenances(self, within: timedelta = timedelta(days=1)) -> list[Maintenance]:
        """Maintenances that may still owe a notice: not cancelled and ended within `within`, or cancelled
        without that being told."""
        since = datetime.now(UTC) - within
        with self.session() as s:
            query = select(MaintenanceRow).where(or_(MaintenanceRow.cancelled_at.is_not(None),
                                                     MaintenanceRow.ends_at >= since))
            found = [_to_maintenance(r) for r in s.scalars(query)]
        return [m for m in found if m.cancelled_at is None or "cancelled" not in m.told]

    def notice_attempt(self, public_id: str, step: str, subscriber_id: int) -> bool:
        """Count an attempt to send one step to one subscriber; False when it was sent already."""
        try:
            with self.session() as s:
                row = _notice(s, public_id, step, subscriber_id, create=True)
                if row is None or row.sent_at is not None:
                    return False
                row.attempts = (row.attempts or 0) + 1
                return True
        except IntegrityError:  # a concurrent first attempt; the row exists now
            return self.notice_attempt(public_id, step, subscriber_id)

    def notice_done(self, public_id: str, step: str, subscriber_id: int, error: str | None = None) -> None:
        with self.session() as s:
            row = _notice(s, public_id, step, subscriber_id)
            if row is None:
                return
            if error is None:
                row.sent_at, row.last_error = datetime.now(UTC), None
            else:
                row.last_error = error[:2000]


def _row(s: Session, platform: str, repository: str, number: int) -> MaintenanceRow | None:
    return s.scalars(select(MaintenanceRow).where(MaintenanceRow.platform == platform,
                                                  MaintenanceRow.repository == repository,
                                                  MaintenanceRow.number == number)).first()


def _notice(s: Session, public_id: str, step: str, subscriber_id: int,
            create: bool = False) -> MaintenanceNoticeRow | None:
    maintenance_id = s.scalars(select(MaintenanceRow.id).where(MaintenanceRow.public_id == public_id)).first()
    if maintenance_id is None:
        return None
    row = s.scalars(select(MaintenanceNoticeRow).where(MaintenanceNoticeRow.maintenance_id == maintenance_id,
                                                       MaintenanceNoticeRow.step == step,
                                                       MaintenanceNoticeRow.subscriber_id == subscriber_id)).first()
    if row is None and create:
        row = MaintenanceNoticeRow(maintenance_id=maintenance_id, step=step, subscriber_id=subscriber_id, attempts=0)
        s.add(row)
        s.flush()
    return row


def _to_maintenance(row: MaintenanceRow) -> Maintenance:
    window = Window(row.starts_at, row.ends_at, tuple(row.components or ()), row.message or "")
    told = {step: datetime.fromisoformat(at) for step, at in (row.told or {}).items()}
    return Maintenance(id=row.public_id, platform=row.platform, repository=row.repository, number=row.number,
                       name=row.name, window=window, installation_id=row.installation_id, created_at=row.created_at,
                       closed_at=row.closed_at, cancelled_at=row.cancelled_at, told=told,
                       reschedules=row.reschedules or 0)


def _moved_after_told(before: Maintenance, window: Window) -> bool:
    """Whether the new window moves a maintenance its subscribers heard of and that has not ended: they are told
    the new times (incidents.maintenance: the `rescheduled-N` step)."""
    moved = (before.window.start, before.window.end) != (window.start, window.end)
    return moved and "scheduled" in before.told and "completed" not in before.told and before.cancelled_at is None
