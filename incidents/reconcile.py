"""What bringing an incident in line with its issue should change (compute, then act).

`plan_incident` reads plain values (the issue, its reviewed document, what the store knows, the
repository's config and label scheme, the forge's facts) and returns an `IncidentPlan`: the labels
to add and remove, the incident to save, its follow-up issues, the summary comment, the Impact lines,
the postmortem checks to publish and whether to schedule a reminder. `handlers/declare.py` applies it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from incidents.action_items import issue_key
from incidents.forge_facts import ForgeFacts
from incidents.labels import LabelScheme
from incidents.lifecycle import declared_in_form, label_changes, reopened, track
from incidents.metrics import Metrics, impact_lines, incident_metrics, render_metrics
from incidents.model import AlertGroup, Incident, Link, Status
from incidents.section_edits import generated_lines, set_generated_lines
from incidents.similar import similar_lines
from incidents.summary import render_summary
from incidents.timezones import zone

IMPACT_KEY = "impact"  # the markers around the Impact time lines `/postmortem` wrote
CHECK_NAME = "incident-desk/postmortem"
CHECK_NOT_DUE = "Postmortem of incident {ref}: due once it is resolved"
CHECK_RESULT = "Postmortem of incident {ref}: {errors} error(s), {warnings} warning(s)"


class IssueLike(Protocol):
    """What reconciling reads of an issue (forges.base.Issue)."""

    @property
    def repository(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def url(self) -> str: ...
    @property
    def state(self) -> str: ...  # open | closed
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def confidential(self) -> bool: ...


@dataclass(frozen=True)
class Seen:
    """What reconciling looks at: the issue, its document and findings (checks.review), the stored
    incident (None when new) and its links."""

    issue: IssueLike
    document: Any
    findings: Sequence = ()
    known: Incident | None = None
    links: Sequence[Link] = ()
    chat_channel: tuple[str, str] | None = None  # the incident's chat channel: (name, link)
    alert: AlertGroup | None = None  # the alert group that opened it
    similar: Sequence = ()  # similar past incidents (incidents.similar.Similar), most similar first


@dataclass(frozen=True)
class Declaration:
    """Whose incident it is: the platform, who declared it, the App installation, the labels just added."""

    platform: str
    declared_by: str
    installation_id: int | None = None
    labels_added: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckPublication:
    """The postmortem check to publish on a linked merge request's head commit; then `link` (which
    carries the new check state) is saved."""

    link: Link
    sha: str  # the link's head commit
    conclusion: str  # success | neutral | failure
    title: str
    text: str


@dataclass(frozen=True)
class IncidentPlan:
    """Everything a reconcile changes, in the order the handler applies it."""

    incident: Incident
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    save: bool = False  # the incident differs from the stored one
    follow_ups: tuple[tuple[str, int, str], ...] = ()  # (repository, number, reference as written)
    summary: str = ""
    impact_lines: tuple[str, ...] | None = None  # new Impact lines for the body; None: they stay
    checks: tuple[CheckPublication, ...] = ()
    reminder_after: timedelta | None = None  # schedule the first reminder (a newly tracked incident)


def plan_incident(seen: Seen, declaration: Declaration, *, config, scheme: LabelScheme, facts: ForgeFacts,
                  now: datetime) -> IncidentPlan:
    """What should change so the store, labels, follow-ups, summary and checks match the issue.

    `config` is the repository's RepoConfig; `now` stands in for an issue without a creation time.
    """
    issue, known = seen.issue, seen.known
    incident = _tracked(seen, declaration, scheme, now)
    complete = not any(f.severity == "error" for f in seen.findings)
    add, remove = label_changes(issue.labels, incident, complete, scheme)
    metrics = incident_metrics(incident, seen.links, seen.document.timeline,
                               lambda link: facts.merge_request.ref(link.repository, link.number, issue.repository))
    incident = incident.with_changes(
        taxonomy=" < ".join(seen.document.taxonomy.terms) if seen.document.taxonomy else None,
        open_actions=sum(not a.done for a in seen.document.actions),
        ttd_seconds=metrics.ttd, ttf_seconds=metrics.ttf, ttr_seconds=metrics.ttr)
    incident = incident.with_changes(root_cause=seen.document.root_cause,
                                     done_actions=sum(a.done for a in seen.document.actions))
    summary = render_summary(
        incident, seen.findings, facts.command_prefix,
        links=[(facts.merge_request.ref(k.repository, k.number, issue.repository), k) for k in seen.links],
        metrics_lines=render_metrics(metrics, config.timezone),
        open_actions=[a for a in seen.document.actions if not a.done], body_limit=facts.body_limit,
        chat_channel=seen.chat_channel, alert=seen.alert,
        today=now.astimezone(zone(config.timezone)).date(),
        similar_lines=similar_lines(seen.similar, issue.repository))
    return IncidentPlan(
        incident=incident, add_labels=tuple(add), remove_labels=tuple(remove), save=incident != known,
        follow_ups=tuple(follow_up_issues(seen.document, issue.repository)), summary=summary,
        impact_lines=plan_impact_lines(issue.body, config, metrics),
        checks=plan_checks(incident, seen.links, seen.findings),
        reminder_after=config.reminders.interval if known is None or not known.tracking else None)


def _tracked(seen: Seen, declaration: Declaration, scheme: LabelScheme, now: datetime) -> Incident:
    """The incident as the issue's labels and form show it, with its privacy and installation."""
    issue = seen.issue
    incident = track(seen.known, platform=declaration.platform, repository=issue.repository, number=issue.number,
                     title=issue.title, url=issue.url, labels=issue.labels, declared_by=declaration.declared_by,
                     reported_at=issue.created_at or now, scheme=scheme, form=declared_in_form(seen.document),
                     labels_added=declaration.labels_added)
    incident = reopened(incident, issue.state)  # reopened by hand: the board, reminders and chat see it open
    private = scheme.is_private(issue.labels, issue.confidential)
    if incident.private != private:
        incident = incident.with_changes(private=private)  # the status page hides it from now on
    installation_id = declaration.installation_id
    if installation_id and incident.installation_id != installation_id:
        incident = incident.with_changes(installation_id=installation_id)
    return incident


def follow_up_issues(document, home_repository: str) -> list[tuple[str, int, str]]:
    """The issues (repository, number, reference as written) the document's action items link to."""
    linked = []
    for action in document.actions:
        key = issue_key(action.linked_issue, home_repository) if action.linked_issue else None
        if key and key[0]:
            linked.append((key[0], key[1], action.linked_issue))
    return linked


def plan_impact_lines(body: str | None, config, metrics: Metrics) -> tuple[str, ...] | None:
    """The Impact time lines `/postmortem` wrote follow the timeline and links, as the summary does.

    Only the lines between the bot's markers change, only when both markers are there and the lines
    differ: None when the body keeps its lines.
    """
    body = body or ""
    current = generated_lines(body, IMPACT_KEY)
    if current is None:
        return None
    lines = tuple(impact_lines(metrics, config.timezone).splitlines())
    if generated_lines(with_impact_lines(body, config, lines), IMPACT_KEY) == current:
        return None
    return lines


def with_impact_lines(body: str, config, lines: Sequence[str]) -> str:
    """The body with `lines` between the Impact markers (the change the handler applies to the body)."""
    return set_generated_lines(body, config.get_profile(), "Impact", IMPACT_KEY, list(lines))


def plan_checks(incident: Incident, links: Sequence[Link], findings: Sequence) -> tuple[CheckPublication, ...]:
    """The incident's document checks on each linked merge request's head commit; neutral until resolved,
    so it never blocks a hotfix. Only those that changed since last published."""
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    ref = f"{incident.repository}#{incident.number}"
    if incident.status is not Status.RESOLVED:
        conclusion, title = "neutral", CHECK_NOT_DUE.format(ref=ref)
    else:
        conclusion = "failure" if errors else "success"
        title = CHECK_RESULT.format(ref=ref, errors=errors, warnings=warnings)
    text = "\n".join(f"- {f.severity} `{f.code}`: {f.message}" for f in findings) or "No findings."
    state = f"{conclusion}|{title}"
    return tuple(CheckPublication(replace(link, check_state=state), link.head_sha, conclusion, title, text)
                 for link in links if link.head_sha and link.check_state != state)


__all__ = [
    "CHECK_NAME", "CHECK_NOT_DUE", "CHECK_RESULT", "IMPACT_KEY", "CheckPublication", "Declaration", "IncidentPlan",
    "IssueLike", "Seen", "follow_up_issues", "plan_checks", "plan_impact_lines", "plan_incident",
    "with_impact_lines",
]
