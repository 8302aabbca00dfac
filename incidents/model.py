"""Incident, status and severity: the vocabulary of the status page (reference/000-001)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime


class Status(enum.StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Severity(enum.StrEnum):
    MAJOR_OUTAGE = "major-outage"
    PARTIAL_OUTAGE = "partial-outage"
    DEGRADED_PERFORMANCE = "degraded-performance"
    OPERATIONAL = "operational"

    @property
    def title(self) -> str:  # type: ignore[override]  # a property on purpose: pages and templates read `.title`
        """The severity as words: `Major outage`."""
        return self.value.replace("-", " ").capitalize()


def parse_status(text: str) -> Status | None:
    """Status from a label value or command argument; None when it is not one."""
    try:
        return Status(text.strip().lower())
    except ValueError:
        return None


def parse_severity(text: str) -> Severity | None:
    """Severity written as `major-outage`, `major outage` or `major_outage` (any case)."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    try:
        return Severity(key)
    except ValueError:
        return None


@dataclass(frozen=True)
class Incident:
    """What the bot knows about one incident issue; the issue itself stays the source of truth."""

    platform: str
    repository: str
    number: int
    title: str
    status: Status = Status.INVESTIGATING
    severity: Severity | None = None
    components: tuple[str, ...] = ()
    commander: str | None = None
    operations_lead: str | None = None
    communications_lead: str | None = None
    reported_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    tracking: bool = True
    url: str = ""
    installation_id: int | None = None
    last_update_at: datetime | None = None  # last status update or timeline entry (reminders)
    forced_close: bool = False
    private: bool = False  # GitLab confidential or the private label: never on anything public
    taxonomy: str | None = None  # "A < B < C" as the document states it
    open_actions: int = 0
    ttd_seconds: float | None = None
    ttf_seconds: float | None = None
    ttr_seconds: float | None = None
    root_cause: str | None = None  # the document's root cause (similar past incidents compare it)
    done_actions: int = 0  # corrective actions ticked (with open_actions: their state)

    def with_changes(self, **changes) -> Incident:
        return replace(self, **changes)


@dataclass(frozen=True)
class Link:
    """A merge request linked to an incident as its cause, its fix, or related."""

    repository: str
    number: int
    role: str  # cause | fix | related
    source: str = "text"  # text | commits (a commit message) | command
    url: str = ""
    title: str = ""
    merged_at: datetime | None = None
    head_sha: str | None = None
    check_state: str | None = None  # the postmortem check last published on head_sha


@dataclass(frozen=True)
class BlogDraft:
    """An incident's public write-up: the file in the blog repository and its draft PR/MR."""

    repository: str
    path: str
    branch: str
    merge_request: int | None = None
    url: str = ""


@dataclass(frozen=True)
class IncidentChat:
    """An incident's place in chat: its Slack channel and pinned summary, and what chat was last told."""

    channel_id: str | None = None
    channel_name: str | None = None
    pinned_ts: str | None = None
    view: str | None = None  # the last view told to chat (incidents.chat_view.ChatView as JSON)
    archived_at: datetime | None = None
    channel_url: str | None = None  # a link that opens the channel


@dataclass(frozen=True)
class AlertGroup:
    """The alert group (or PagerDuty incident) that opened an incident, as last seen."""

    source: str
    group: str
    status: str = "firing"  # firing | resolved
    fingerprints: tuple[str, ...] = ()  # of the alerts firing when last seen
    resolved_at: datetime | None = None
    name: str = ""  # what fired: the alert's name, or PagerDuty's incident title
    detected_at: datetime | None = None  # the alert's own start
    url: str = ""  # where to see it: the alert's source link, or PagerDuty's incident page
