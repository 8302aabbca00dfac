"""What every handler gets besides its event: one typed context, built once per delivery by the worker.

Handlers ask for jobs (reminders, blog drafts, announcements, a repository's set-up) through the `Jobs`
protocol, so `handlers/` never imports the worker that runs them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from chat.base import Chat
from forges.base import Forge, Issue
from forges.events import Event, IssueEvent
from incidents.labels import LabelScheme
from incidents.model import Incident
from incidents.repository_config import RepositoryConfig
from store import Store


class Jobs(Protocol):
    """The work a handler may ask for later, on the queue."""

    def schedule_reminder(self, incident: Incident, delay: timedelta) -> None: ...

    def ensure_reminder(self, incident: Incident, delay: timedelta) -> bool: ...

    def request_blog_draft(self, incident: Incident) -> str: ...

    def announce(self, update_id: int) -> None: ...

    def follow_in_chat(self, incident: Incident, view: str) -> None: ...

    def announce_in_chat(self, target: str, title: str, body: str, key: str) -> None: ...

    def archive_chat_channel(self, channel: str, delay: timedelta) -> None: ...

    def schedule_maintenance(self, public_id: str, delay: timedelta) -> None: ...

    def refresh_board(self, incident: Incident) -> None: ...

    def refresh_board_at(self, platform: str, repository: str, installation_id: int | None) -> None: ...

    def set_up_repository(self, platform: str, repository: str, installation_id: int | None) -> bool: ...


class Permissions(Protocol):
    """Who may run which command (the worker's implementation caches the forge's answers)."""

    def level(self, repository: str, login: str) -> str: ...

    def refusal(self, command: str, login: str, repository: str, incident: Incident | None = None) -> str | None: ...

    def elsewhere(self, login: str, home: str, repository: str, needed: str) -> str | None: ...


@dataclass
class Context:
    """The forge, the store, the event repository's config and label scheme, permissions and jobs."""

    forge: Forge
    store: Store
    repository: str
    config: RepositoryConfig
    permissions: Permissions
    jobs: Jobs
    load_config: Callable[[str], RepositoryConfig]
    chat: Chat | None = None  # the Slack workspace, when the deployment has one
    chat_targets: frozenset[str] = frozenset()  # the Apprise targets the operator named
    private_chat_targets: frozenset[str] = frozenset()  # those that may hear of private incidents
    told_in_chat: bool = False  # this job tells the incident's channel itself (a command typed there)
    public_url: str = ""  # the deployment's own address: status page links
    forget_config: Callable[[str], None] = lambda repository: None  # a push changed its config file (issue 19)
    onboarding: bool = True  # open the onboarding pull/merge request on install (INCIDENT_DESK_ONBOARDING)
    _configs: dict[str, RepositoryConfig] = field(default_factory=dict, repr=False)
    _issue: tuple[Event, Issue] | None = field(default=None, repr=False)

    @property
    def labels(self) -> LabelScheme:
        """The event repository's label names."""
        return self.config.labels

    def config_for(self, repository: str) -> RepositoryConfig:
        """Another repository's config (its own label names), read once per delivery; the event's own here."""
        if repository.lower() == self.repository.lower():
            return self.config
        key = repository.lower()
        if key not in self._configs:
            self._configs[key] = self.load_config(repository)
        return self._configs[key]

    def issue(self, event: Event) -> Issue:
        """The event's issue, read at most once per event: every handler of the event gets the same one.

        An issue event carries the issue, so it costs no read at all."""
        if self._issue is not None and self._issue[0] is event:
            return self._issue[1]
        issue = issue_of(event) if isinstance(event, IssueEvent) else self.forge.get_issue(event.repository,
                                                                                            event.number)
        self._issue = (event, issue)
        return issue

    def issue_now(self, event: Event) -> Issue:
        """The event's issue read from the forge now, for when the payload may be older than the issue."""
        self._issue = (event, self.forge.get_issue(event.repository, event.number))
        return self._issue[1]

    def issue_written(self, event: Event, issue: Issue) -> None:
        """The event's issue as the bot just wrote it (Forge.update_issue), for the handlers after it."""
        self._issue = (event, issue)


def issue_of(event: IssueEvent) -> Issue:
    """The issue as the event's payload describes it."""
    return Issue(repository=event.repository, number=event.number, title=event.title, body=event.body,
                 state=event.state, labels=event.labels, author=event.author, url=event.url,
                 created_at=event.created_at, closed_at=event.closed_at, assignees=event.assignees,
                 confidential=event.confidential)
