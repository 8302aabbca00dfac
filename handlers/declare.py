"""Declaring and keeping incidents: the `incident` label (or GitLab's incident type) makes an issue an
incident, and every change to it is reflected in its labels, the store and one summary comment."""
from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime

from checks import review
from forges.base import BodyTooLong, Issue
from forges.errors import ForgeError, TransientForgeError
from forges.events import ISSUE, IssueEvent
from handlers.board import keep_board
from handlers.chat_follow import queue_follow
from handlers.context import Context
from handlers.publication import status_changed
from handlers.router import Router
from handlers.similar import look_back
from incidents.lifecycle import is_incident
from incidents.model import AlertGroup, Incident, Status
from incidents.nudges import reminder_due_in
from incidents.reconcile import CHECK_NAME, Declaration, IncidentPlan, Seen, plan_incident, with_impact_lines
from incidents.repository_config import RepositoryConfig
from incidents.summary import SUMMARY_MARKER, UNTRACKED_NOTE, render_config_errors
from incidents.text import escape
from incidents.timeline_edits import add_timeline_entry

DECLARED = "Declared an incident by @{login}"
DETECTED_BY_FORGE = "The alert that opened this incident started"
STATUS_BY_LABEL = "Status: {status} (label set by @{login})"
NOT_RECORDED = "This could not be added to the timeline ({reason}): {entry}"

router = Router()


def reconcile(ctx: Context, config: RepositoryConfig, issue: Issue, *, platform: str, declared_by: str,
              installation_id: int | None = None, labels_added=(), remind: bool = False,
              chat_channel: tuple[str, str] | None = None, alert: AlertGroup | None = None) -> Incident:
    """Bring store, labels, follow-up links and the summary comment in line with the issue. Returns the incident.

    `config` is the issue's repository's (its label names), which for cross-repository work is not the event's.
    What changes is computed by incidents.reconcile.plan_incident; this applies it."""
    document, findings = review(issue.body, config.file)
    known = ctx.store.get_incident(platform, issue.repository, issue.number)
    similar, findings = look_back(ctx, config, issue, platform, document, findings, known)
    links = ctx.store.links(known) if known is not None else []
    told = ctx.store.incident_chat(known) if known is not None and chat_channel is None else None
    channel = (told.channel_name or "", told.channel_url or "") if told and told.channel_id else chat_channel
    alert = alert or (ctx.store.alert_group_of(known) if known is not None else None)
    plan = plan_incident(Seen(issue, document, findings, known, links, channel, alert, similar),
                         Declaration(platform, declared_by, installation_id, tuple(labels_added)),
                         config=config.file, scheme=config.labels, facts=ctx.forge.facts,
                         now=datetime.now(UTC))
    apply_incident_plan(ctx, config, issue, plan)
    queue_follow(ctx, plan.incident, issue, document)
    keep_board(ctx, config, plan.incident, document, findings)
    if plan.reminder_after is not None and remind:
        ctx.jobs.schedule_reminder(plan.incident, plan.reminder_after)
    else:
        keep_reminder(ctx, config, plan.incident)
    return plan.incident


def keep_reminder(ctx: Context, config: RepositoryConfig, incident: Incident) -> None:
    """An unresolved tracked incident always has a reminder waiting (issue 18): one a flushed Redis lost, or
    one that stopped at resolved before the incident went back to investigating, is scheduled again."""
    if incident.tracking and incident.status is not Status.RESOLVED and not incident.closed_at:
        ctx.jobs.ensure_reminder(incident, reminder_due_in(incident, config.file.reminders.interval,
                                                           datetime.now(UTC)))


def apply_incident_plan(ctx: Context, config: RepositoryConfig, issue: Issue, plan: IncidentPlan) -> None:
    """The plan's writes, in order: labels, the incident, its follow-ups, the summary, the Impact lines, the checks."""
    forge, store, incident = ctx.forge, ctx.store, plan.incident
    if plan.add_labels or plan.remove_labels:
        forge.change_labels(issue.repository, issue.number, plan.add_labels, plan.remove_labels, issue.labels)
    if plan.save:
        store.save_incident(incident)
    store.set_follow_ups(incident, list(plan.follow_ups))
    known = store.summary_comment(incident)
    summary = forge.upsert_known_comment(issue.repository, issue.number, SUMMARY_MARKER, plan.summary, known)
    if summary != known:
        store.set_summary_comment(incident, *summary)
    if plan.impact_lines is not None:
        with suppress(BodyTooLong):  # then the summary comment still shows the current times
            forge.edit_body(issue.repository, issue.number,
                            lambda text: with_impact_lines(text, config.file, plan.impact_lines or ()))
    for check in plan.checks:
        forge.publish_check(check.link.repository, check.sha, CHECK_NAME, check.conclusion, check.title,
                            check.text, incident.url)
        store.save_link(incident, check.link)


def record_in_timeline(forge, config, repository: str, number: int, text: str, once: bool = False,
                       at: datetime | None = None, tag: str | None = None) -> str | None:
    """Append a bot entry (now, repository timezone) to the body's Timeline; the new body, or None if it
    could not be written (then a reply carries the entry so it is not lost). With `once`, an entry
    already there (a retried delivery) is not written again."""
    now = at or datetime.now(UTC)
    profile, zone = config.file.get_profile(), config.file.timezone

    def change(body: str) -> str:
        return body if once and text in body else add_timeline_entry(body, profile, now, text, tag, zone)

    try:
        return forge.edit_body(repository, number, change)
    except BodyTooLong as exc:
        forge.comment(repository, number, NOT_RECORDED.format(reason=exc, entry=escape(text, 500)))
        return None


@router.register(ISSUE, "opened", "reopened", "labeled", "unlabeled", "edited")
def keep_incident_in_shape(event: IssueEvent, ctx: Context) -> None:
    """An incident issue is in the store, labelled with its state and postmortem state, and has one
    summary comment showing its postmortem's findings. An unchanged issue costs no write.
    Declaring, and changing the status label by hand, are recorded in the timeline."""
    if not is_incident(event.labels, event.is_incident_type, ctx.labels):
        return
    forge, store, config = ctx.forge, ctx.store, ctx.config
    known = store.get_incident(event.platform, event.repository, event.number)
    issue = ctx.issue(event)
    if known is not None and known.closed_at and issue.state == "open":
        issue = ctx.issue_now(event)  # a late `reopened` must not reopen an issue closed again since
    if known is None or not known.tracking:
        body = record_in_timeline(forge, config, event.repository, event.number,
                                  DECLARED.format(login=event.actor.login), once=True)
        issue = replace(issue, body=body if body is not None else issue.body)
        issue = _detected_by_forge_alert(ctx, event, issue)
    incident = reconcile(ctx, config, issue, platform=event.platform, declared_by=event.actor.login,
                         installation_id=event.installation_id, labels_added=event.labels_added, remind=True)
    if known is not None and known.tracking and incident.status != known.status:
        now = datetime.now(UTC)
        record_in_timeline(forge, config, event.repository, event.number,
                           STATUS_BY_LABEL.format(status=incident.status.value, login=event.actor.login))
        resolved = {"resolved_at": now} if incident.status is Status.RESOLVED and not incident.resolved_at else {}
        incident = incident.with_changes(last_update_at=now, **resolved)
        store.save_incident(incident)
        status_changed(store, incident, None, f"delivery-{event.delivery_id}:status", ctx.jobs.announce, now)
    if config.errors and config.claim_warning():
        forge.comment(event.repository, event.number, render_config_errors(config.path, config.errors))


def _detected_by_forge_alert(ctx: Context, event: IssueEvent, issue: Issue) -> Issue:
    """An incident the forge opened from its own alert (GitLab's alert management) is detected when the alert
    started, so TTD counts from there: a `[detected]` entry at that time."""
    try:
        started = ctx.forge.alert_started_at(event.repository, event.number) if event.is_incident_type else None
    except ForgeError as exc:
        if isinstance(exc, TransientForgeError):
            raise
        started = None  # a forge that cannot say (an older GitLab): the incident is declared all the same
    if started is None:
        return issue
    body = record_in_timeline(ctx.forge, ctx.config, event.repository, event.number, DETECTED_BY_FORGE,
                              once=True, at=started, tag="detected")
    return replace(issue, body=body if body is not None else issue.body)


@router.register(ISSUE, "unlabeled")
def stop_tracking(event: IssueEvent, ctx: Context) -> None:
    """Removing the incident label ends tracking, with a short note; the history stays in the store."""
    removed = {label.lower() for label in event.labels_removed}
    if ctx.labels.incident.lower() not in removed or is_incident(event.labels, event.is_incident_type, ctx.labels):
        return
    incident = ctx.store.get_incident(event.platform, event.repository, event.number)
    if incident is None or not incident.tracking:
        return
    ctx.store.save_incident(incident.with_changes(tracking=False))
    ctx.jobs.refresh_board(incident)
    ctx.forge.comment(event.repository, event.number, UNTRACKED_NOTE.format(label=ctx.labels.incident))
