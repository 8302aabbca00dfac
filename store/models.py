"""Tables. The issue is the source of truth; these rows are an index that `sync` can rebuild."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite has no zones), always handed back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    pass


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("platform", "repository", "number", name="uq_incident_issue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    repository: Mapped[str] = mapped_column(String(255), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str | None] = mapped_column(String(32), nullable=True)
    components: Mapped[list] = mapped_column(JSON, default=list)
    commander: Mapped[str | None] = mapped_column(String(255), nullable=True)
    operations_lead: Mapped[str | None] = mapped_column(String(255), nullable=True)
    communications_lead: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    forced_close: Mapped[bool] = mapped_column(Boolean, default=False)
    taxonomy: Mapped[str | None] = mapped_column(String(500), nullable=True)
    open_actions: Mapped[int] = mapped_column(Integer, default=0)
    ttd_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttf_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttr_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(timezone.utc),
                                                 onupdate=lambda: datetime.now(timezone.utc))


class FollowUpRow(Base):
    """An issue linked from an incident's action item: closing it ticks the item."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("incident_id", "platform", "repository", "number", name="uq_follow_up"),
                      Index("ix_follow_ups_issue", "platform", "repository", "number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    repository: Mapped[str] = mapped_column(String(255))
    number: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(512))


class LinkRow(Base):
    """A merge request that caused, fixed or relates to an incident."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("incident_id", "repository", "number", name="uq_link"),
                      Index("ix_links_merge_request", "repository", "number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    repository: Mapped[str] = mapped_column(String(255))
    number: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # cause | fix | related
    source: Mapped[str] = mapped_column(String(16))  # text (title, description, trailers) | command
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    head_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    check_state: Mapped[str | None] = mapped_column(String(300), nullable=True)  # last check published


class BlogDraftRow(Base):
    """Where an incident's blog draft lives, so a second request updates the same branch and PR/MR."""

    __tablename__ = "blog_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    repository: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1024))
    branch: Mapped[str] = mapped_column(String(255))
    merge_request: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str] = mapped_column(Text, default="")
