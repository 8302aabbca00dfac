"""Tables. The issue is the source of truth; these rows are an index that `sync` can rebuild."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite has no zones), always handed back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class SafeText(TypeDecorator):
    """Text as PostgreSQL can store it: a NUL, which it refuses in text (and would fail the write forever), becomes
    U+FFFD, as the document parser reads it; on every database alike."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


class SafeString(SafeText):
    """A bounded string, with SafeText's NUL rule."""

    impl = String
    cache_ok = True


class Base(DeclarativeBase):
    pass


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("platform", "repository", "number", name="uq_incident_issue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(SafeString(16))
    repository: Mapped[str] = mapped_column(SafeString(255), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(SafeText, default="")
    url: Mapped[str] = mapped_column(SafeText, default="")
    status: Mapped[str] = mapped_column(SafeString(32))
    severity: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)
    components: Mapped[list] = mapped_column(JSON, default=list)
    commander: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    operations_lead: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    communications_lead: Mapped[str | None] = mapped_column(SafeString(255), nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    forced_close: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # never public
    taxonomy: Mapped[str | None] = mapped_column(SafeString(500), nullable=True)
    open_actions: Mapped[int] = mapped_column(Integer, default=0)
    ttd_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttf_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttr_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    root_cause: Mapped[str | None] = mapped_column(SafeText, nullable=True)  # compared by similar past incidents
    done_actions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The summary comment as the bot last wrote it: edited by id, rewritten only when the digest changes.
    summary_comment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    summary_digest: Mapped[str | None] = mapped_column(SafeString(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC),
                                                 onupdate=lambda: datetime.now(UTC))


class FollowUpRow(Base):
    """An issue linked from an incident's action item: closing it ticks the item."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("incident_id", "platform", "repository", "number", name="uq_follow_up"),
                      Index("ix_follow_ups_issue", "platform", "repository", "number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(SafeString(16))
    repository: Mapped[str] = mapped_column(SafeString(255))
    number: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(SafeString(512))


class LinkRow(Base):
    """A merge request that caused, fixed or relates to an incident."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("incident_id", "repository", "number", name="uq_link"),
                      Index("ix_links_merge_request", "repository", "number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    repository: Mapped[str] = mapped_column(SafeString(255))
    number: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(SafeString(16))  # cause | fix | related
    source: Mapped[str] = mapped_column(SafeString(16))  # text (title, description) | commits | command
    url: Mapped[str] = mapped_column(SafeText, default="")
    title: Mapped[str] = mapped_column(SafeText, default="")
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    head_sha: Mapped[str | None] = mapped_column(SafeString(64), nullable=True)
    check_state: Mapped[str | None] = mapped_column(SafeString(300), nullable=True)  # last check published


class BlogDraftRow(Base):
    """Where an incident's blog draft lives, so a second request updates the same branch and PR/MR."""

    __tablename__ = "blog_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    repository: Mapped[str] = mapped_column(SafeString(255))
    path: Mapped[str] = mapped_column(SafeString(1024))
    branch: Mapped[str] = mapped_column(SafeString(255))
    merge_request: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str] = mapped_column(SafeText, default="")


class StatusPageRow(Base):
    """A status page as its repository's config last declared it (the web app never reads a forge)."""

    __tablename__ = "status_pages"
    __table_args__ = (UniqueConstraint("platform", "repository", name="uq_status_page_repository"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(SafeString(64), unique=True)
    platform: Mapped[str] = mapped_column(SafeString(16))
    repository: Mapped[str] = mapped_column(SafeString(255))
    title: Mapped[str] = mapped_column(SafeText, default="", server_default="")
    timezone: Mapped[str] = mapped_column(SafeString(64), default="UTC", server_default="UTC")
    components: Mapped[list] = mapped_column(JSON)  # [{id, name, description, group}]
    repositories: Mapped[list] = mapped_column(JSON)  # other repositories whose incidents it shows
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bumped in the same transaction as every write that changes what the page shows: the web app's render
    # cache and ETags are keyed by it (store.publications.bump_pages).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PublicationRow(Base):
    """An incident's public face: whether it is shown, under which id and name, workaround, postmortem."""

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_published", "published"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    public_id: Mapped[str] = mapped_column(SafeString(32), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    name: Mapped[str] = mapped_column(SafeText, default="", server_default="")
    status: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)  # as the last public update said
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the public resolve time
    workaround: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    postmortem: Mapped[str | None] = mapped_column(SafeText, nullable=True)  # Markdown snapshot
    postmortem_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StatusUpdateRow(Base):
    """One public update; `key` makes a retried delivery write it once."""

    __tablename__ = "status_updates"
    __table_args__ = (UniqueConstraint("incident_id", "key", name="uq_status_update_key"),
                      Index("ix_status_updates_incident", "incident_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(SafeString(200))
    status: Mapped[str] = mapped_column(SafeString(32))
    severity: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)
    components: Mapped[list] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(SafeText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubscriberRow(Base):
    """An email address (confirmed by double opt-in) or a webhook URL (with its signing secret)."""

    __tablename__ = "subscribers"
    __table_args__ = (Index("ix_subscribers_slug", "slug", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(SafeString(64))
    kind: Mapped[str] = mapped_column(SafeString(16))  # email | webhook
    address: Mapped[str] = mapped_column(SafeText)
    secret: Mapped[str | None] = mapped_column(SafeString(128), nullable=True)
    components: Mapped[list] = mapped_column(JSON)  # empty: every component
    token: Mapped[str] = mapped_column(SafeString(64), unique=True)  # confirm and unsubscribe links
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRow(Base):
    """One update sent (or being retried) to one subscriber: never sent twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("update_id", "subscriber_id", name="uq_notification"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("status_updates.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(SafeText, nullable=True)


class CommandRunRow(Base):
    """What one command line of a comment did, so a retried delivery neither repeats it nor loses it.

    `line` 0 stands for the comment's reply. `steps` holds what took effect before the command
    finished (the issue it created, the body edit made); `icon` is set once it finished. `setting`
    names what a finished command set (status, severity…), so an older comment cannot override it.
    """

    __tablename__ = "command_runs"
    __table_args__ = (UniqueConstraint("platform", "repository", "comment_id", "line", name="uq_command_run"),
                      Index("ix_command_runs_setting", "platform", "repository", "number", "setting"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(SafeString(16))
    repository: Mapped[str] = mapped_column(SafeString(255))
    comment_id: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # the issue or merge request the comment is on
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    comment_url: Mapped[str] = mapped_column(SafeText, default="", server_default="")
    steps: Mapped[dict] = mapped_column(JSON, default=dict)
    icon: Mapped[str | None] = mapped_column(SafeString(16), nullable=True)
    message: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    changed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    setting: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))


class IncidentChatRow(Base):
    """An incident's Slack channel, its pinned summary message, and the view chat was last told (JSON)."""

    __tablename__ = "incident_chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    channel_id: Mapped[str | None] = mapped_column(SafeString(32), unique=True, nullable=True)
    channel_name: Mapped[str | None] = mapped_column(SafeString(80), nullable=True)
    channel_url: Mapped[str | None] = mapped_column(SafeString(500), nullable=True)
    pinned_ts: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)
    view: Mapped[str | None] = mapped_column(SafeText, nullable=True)  # incidents.chat_view.to_json
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertGroupRow(Base):
    """The alert group (or PagerDuty incident) behind an incident, as last seen: a repeat of the group finds
    its incident here instead of opening a second one. A group key belongs to one incident at a time."""

    __tablename__ = "alert_groups"
    __table_args__ = (UniqueConstraint("source", "group_key", name="uq_alert_group"),
                      Index("ix_alert_groups_incident", "incident_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(SafeString(64))  # the operator's name for the sender, or "pagerduty"
    group_key: Mapped[str] = mapped_column(SafeString(1000))  # Alertmanager's groupKey, or the PagerDuty incident id
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(SafeString(16))  # firing | resolved
    fingerprints: Mapped[list] = mapped_column(JSON, default=list)  # of the alerts firing when last seen
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    name: Mapped[str | None] = mapped_column(SafeString(500), nullable=True)  # what fired (the summary's source line)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    url: Mapped[str | None] = mapped_column(SafeString(1000), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC),
                                                 onupdate=lambda: datetime.now(UTC))


class NudgeRow(Base):
    """One nudged item of an incident (an action item by its words, the postmortem, or `*` for a snooze of them
    all): when it was last nudged and until when it is snoozed (issue 18). Not rebuilt from the issues."""

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("incident_id", "item_key", name="uq_nudge_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(SafeString(64))
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MaintenanceRow(Base):
    """A scheduled maintenance declared by a `maintenance` issue: its window as the issue last said, whether it
    was closed early or cancelled, and which notices its subscribers have had (step -> when)."""

    __tablename__ = "maintenances"
    __table_args__ = (UniqueConstraint("platform", "repository", "number", name="uq_maintenance_issue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(SafeString(32), unique=True)
    platform: Mapped[str] = mapped_column(SafeString(16))
    repository: Mapped[str] = mapped_column(SafeString(255))
    number: Mapped[int] = mapped_column(Integer)
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    name: Mapped[str] = mapped_column(SafeString(500))
    message: Mapped[str] = mapped_column(SafeText, default="", server_default="")
    components: Mapped[list] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    told: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))
    reschedules: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # times moved after told


class MaintenanceNoticeRow(Base):
    """One maintenance step sent (or being retried) to one subscriber: never sent twice."""

    __tablename__ = "maintenance_notices"
    __table_args__ = (UniqueConstraint("maintenance_id", "step", "subscriber_id", name="uq_maintenance_notice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    maintenance_id: Mapped[int] = mapped_column(ForeignKey("maintenances.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(SafeString(16))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(SafeText, nullable=True)


class OnboardingRow(Base):
    """The one onboarding pull/merge request of a repository (issue 19): opened, merged, or declined (closed
    unmerged: "no thanks", never opened again). Not rebuilt from the forge."""

    __tablename__ = "onboardings"
    __table_args__ = (UniqueConstraint("platform", "repository", name="uq_onboarding_repository"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(SafeString(16))
    repository: Mapped[str] = mapped_column(SafeString(255))
    state: Mapped[str] = mapped_column(SafeString(16))  # opened | merged | declined
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str] = mapped_column(SafeString(500), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))


class BoardRow(Base):
    """The incident board issue of one GitHub account or GitLab top-level group (issue 19): where it is and a
    digest of the text last written, so an unchanged board costs no write."""

    __tablename__ = "boards"
    __table_args__ = (UniqueConstraint("platform", "owner", name="uq_board_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(SafeString(16))
    owner: Mapped[str] = mapped_column(SafeString(255))
    repository: Mapped[str] = mapped_column(SafeString(255))
    number: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(SafeString(64))
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BoardFactsRow(Base):
    """What the board shows of an incident beyond its row, as its last reconcile saw the issue: the postmortem's
    state, the repository's reminder interval and the open action items with a due date."""

    __tablename__ = "board_facts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    postmortem_complete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reminder_seconds: Mapped[float] = mapped_column(Float, default=3600.0, server_default="3600")
    due_actions: Mapped[list] = mapped_column(JSON, default=list)
