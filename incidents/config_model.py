"""What a repository's config file says, as frozen dataclasses (built by incidents/config_schema.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from incidents.nudges import NudgesConfig
from incidents.profiles import Profile, get_profile
from incidents.taxonomy import known_terms


@dataclass(frozen=True)
class LabelsConfig:
    """Label names; None means the forge's default (`status::` on GitLab, `status: ` on GitHub)."""

    incident: str
    status_prefix: str | None
    severity_prefix: str | None
    component_prefix: str
    postmortem_complete: str | None
    postmortem_incomplete: str | None
    blog_draft: str
    private: str
    maintenance: str = "maintenance"


@dataclass(frozen=True)
class Component:
    """An affected component; labels and the status page use its id. Its name defaults to the id."""

    id: str
    name: str
    description: str
    group: str | None

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.id)  # frozen: set once, while being built


@dataclass(frozen=True)
class RemindersConfig:
    interval: timedelta


@dataclass(frozen=True)
class ActionsConfig:
    """None means "as the profile says"."""

    require_owner: bool | None
    require_due_date: bool | None


@dataclass(frozen=True)
class Allowed:
    """Who may do something: GitHub logins / GitLab usernames and teams (`org/team`, group path)."""

    allowed_users: tuple[str, ...]
    allowed_teams: tuple[str, ...]


@dataclass(frozen=True)
class BlogConfig:
    repository: str | None
    path: str
    template: str | None
    allowed_users: tuple[str, ...]
    allowed_teams: tuple[str, ...]


@dataclass(frozen=True)
class StatusPageConfig:
    enabled: bool
    slug: str | None
    title: str | None
    timezone: str | None
    repositories: tuple[str, ...]
    pages: tuple[str, ...] = ()  # other repositories' pages this repository agrees to appear on


# What a chat announcement can be about (issue 16): `notifications[].events` names some of these.
ANNOUNCED = ("declared", "status", "severity", "resolved", "closed", "published", "maintenance")


@dataclass(frozen=True)
class SlackConfig:
    """The repository's incidents in Slack: who is who, where incidents are announced, archiving."""

    users: Mapping[str, str] = field(default_factory=dict, hash=False)  # Slack user id or e-mail -> forge login
    announce_channel: str | None = None  # a channel id (C…) or #name
    archive_after: timedelta | None = None  # after close; None: never


@dataclass(frozen=True)
class NotificationRule:
    """Which events of this repository's incidents one server-defined Apprise target hears about."""

    target: str
    events: tuple[str, ...] = ANNOUNCED
    min_severity: str | None = None  # a Severity value: only incidents this severe or worse


@dataclass(frozen=True)
class AlertsConfig:
    """How alerts become this repository's incidents (issue 17)."""

    on_resolved: str = "comment"  # comment | monitoring | resolved
    reopen_within: timedelta = timedelta(hours=1)  # an alert firing again this soon reopens the incident
    severity_label: str = "severity"  # the alert label whose value says how bad
    severity_map: Mapping[str, str] = field(default_factory=lambda: {
        "critical": "major-outage", "error": "partial-outage", "warning": "degraded-performance"}, hash=False)
    urgency_map: Mapping[str, str] = field(default_factory=lambda: {
        "high": "major-outage", "low": "degraded-performance"}, hash=False)  # PagerDuty urgency -> severity
    component_label: str = "service"  # the alert label whose value is the component


@dataclass(frozen=True)
class MaintenanceConfig:
    """Scheduled maintenance announced from `maintenance` issues (issue 18)."""

    remind_before: timedelta = timedelta(hours=1)  # subscribers hear again this long before the start


@dataclass(frozen=True)
class RepoConfig:
    """A repository's validated Incident Desk settings."""

    profile: str
    profiles: Mapping[str, Mapping[str, Any]] = field(hash=False)
    timezone: str | None
    labels: LabelsConfig
    components: tuple[Component, ...]
    taxonomy: tuple[str, ...]
    reminders: RemindersConfig
    actions: ActionsConfig
    close_when_actions_done: bool
    blog: BlogConfig
    commands: Mapping[str, Allowed] = field(hash=False)
    status_page: StatusPageConfig
    slack: SlackConfig = SlackConfig()
    notifications: tuple[NotificationRule, ...] = ()
    alerts: AlertsConfig = AlertsConfig()
    nudges: NudgesConfig = NudgesConfig()
    maintenance: MaintenanceConfig = MaintenanceConfig()

    def get_profile(self) -> Profile:
        """The repository's profile, custom or built in."""
        return get_profile(self.profile, self.profiles)

    def taxonomy_terms(self) -> frozenset[str]:
        """Built-in taxonomy terms plus this repository's own."""
        return known_terms(self.taxonomy)
