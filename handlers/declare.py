"""Declaring and keeping incidents: the `incident` label (or GitLab's incident type) makes an issue an
incident, and every change to it is reflected in its labels, the store and one summary comment."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from checks import review
from forges.base import BodyTooLong, ConcurrentEdit, Issue
from forges.events import ISSUE, IssueEvent
from handlers.context import Context
from handlers.publication import status_changed
from handlers.router import Router
from incidents.action_items import issue_key
from incidents.lifecycle import declared_in_form, is_incident, label_changes, track
from incidents.metrics import impact_lines, incident_metrics, render_metrics
from incidents.model import Status
from incidents.repository_config import RepositoryConfig
from incidents.section_edits import generated_lines, set_generated_lines
from incidents.summary import SUMMARY_MARKER, UNTRACKED_NOTE, render_config_errors, render_summary
from incidents.text import escape
from incidents.timeline_edits import add_timeline_entry

DECLARED = "Declared an incident by @{login}"
STATUS_BY_LABEL = "Status: {status} (label set by @{login})"
NOT_RECORDED = "This could not be added to the timeline ({reason}): {entry}"

router = Router()


def reconcile(ctx: Context, config: RepositoryConfig, issue: Issue, *, platform: str, declared_by: str,
              installation_id: int | None = None, labels_added=(), remind: bool = False):
    """Bring store, labels, links and the summary in line with the issue (of `config`'s repository)."""
    forge, store, scheme = ctx.forge, ctx.store, config.labels
    document, findings = review(issue.body, config.config)
    known = store.get_incident(platform, issue.repository, issue.number)
    incident = track(known, platform=platform, repository=issue.repository, number=issue.number,
                     title=issue.title, url=issue.url, labels=issue.labels, declared_by=declared_by,
                     reported_at=issue.created_at or datetime.now(timezone.utc), scheme=scheme,
                     form=declared_in_form(document), labels_added=labels_added)
    private = scheme.is_private(issue.labels, issue.confidential)
    if incident.private != private:
        incident = incident.with_changes(private=private)  # the status page hides it from now on
    if installation_id and incident.installation_id != installation_id:
        incident = incident.with_changes(installation_id=installation_id)
    complete = not any(f.severity == "error" for f in findings)
    add, remove = label_changes(issue.labels, incident, complete, scheme)
    if add:
        forge.add_labels(issue.repository, issue.number, add)
    for label in remove:
        forge.remove_label(issue.repository, issue.number, label)
    links = store.links(incident) if known is not None else []
    metrics = incident_metrics(incident, links, document.timeline,
                               lambda link: forge.merge_request_ref(link.repository, link.number, issue.repository))
    incident = incident.with_changes(
        taxonomy=" < ".join(document.taxonomy.terms) if document.taxonomy else None,
        open_actions=sum(not a.done for a in document.actions),
        ttd_seconds=metrics.ttd, ttf_seconds=metrics.ttf, ttr_seconds=metrics.ttr)
    if incident != known:
        store.save_incident(incident)
    store.set_follow_ups(incident, _linked_issues(document, issue.repository))
    summary = render_summary(
        incident, findings, forge.command_prefix,
        links=[(forge.merge_request_ref(l.repository, l.number, issue.repository), l) for l in links],
        metrics_lines=render_metrics(metrics, config.config.timezone),
        open_actions=[a for a in document.actions if not a.done], body_limit=forge.body_limit)
    forge.upsert_marked_comment(issue.repository, issue.number, SUMMARY_MARKER, summary)
    refresh_impact_lines(forge, config, issue, metrics)
    publish_postmortem_check(forge, store, incident, links, findings)
    if (known is None or not known.tracking) and remind:
        ctx.jobs.schedule_reminder(incident, config.config.reminders.interval)
    return incident


IMPACT_KEY = "impact"


def refresh_impact_lines(forge, config, issue: Issue, metrics) -> None:
    """The Impact time lines `/postmortem` wrote follow the timeline and links, as the summary does.

    Only the lines between the bot's markers change, only when both markers are there and the lines
    differ; a body that cannot be written keeps its old lines (the summary has the current times).
    """
    body = issue.body or ""
    current = generated_lines(body, IMPACT_KEY)
    if current is None:
        return
    profile, zone = config.config.get_profile(), config.config.timezone
    lines = impact_lines(metrics, zone).splitlines()

    def change(text: str) -> str:
        return set_generated_lines(text, profile, "Impact", IMPACT_KEY, lines)

    if generated_lines(change(body), IMPACT_KEY) == current:
        return
    try:
        forge.edit_body(issue.repository, issue.number, change)
    except (BodyTooLong, ConcurrentEdit):
        pass  # the summary comment still shows the current times


CHECK_NAME = "incident-desk/postmortem"
CHECK_NOT_DUE = "Postmortem of incident {ref}: due once it is resolved"
CHECK_RESULT = "Postmortem of incident {ref}: {errors} error(s), {warnings} warning(s)"


def publish_postmortem_check(forge, store, incident, links, findings) -> None:
    """The incident's document checks on each linked merge request's head commit; neutral until resolved,
    so it never blocks a hotfix. Published only when it changed."""
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    ref = f"{incident.repository}#{incident.number}"
    if incident.status is not Status.RESOLVED:
        conclusion, title = "neutral", CHECK_NOT_DUE.format(ref=ref)
    else:
        conclusion = "failure" if errors else "success"
        title = CHECK_RESULT.format(ref=ref, errors=errors, warnings=warnings)
    text = "\n".join(f"- {f.severity} `{f.code}`: {f.message}" for f in findings) or "No findings."
    for link in links:
        state = f"{conclusion}|{title}"
        if not link.head_sha or link.check_state == state:
            continue
        forge.publish_check(link.repository, link.head_sha, CHECK_NAME, conclusion, title, text, incident.url)
        store.save_link(incident, replace(link, check_state=state))


def _linked_issues(document, home_repository: str) -> list[tuple[str, int, str]]:
    linked = []
    for action in document.actions:
        key = issue_key(action.linked_issue, home_repository) if action.linked_issue else None
        if key and key[0]:
            linked.append((key[0], key[1], action.linked_issue))
    return linked


def record_in_timeline(forge, config, repository: str, number: int, text: str, once: bool = False,
                       at: datetime | None = None) -> str | None:
    """Append a bot entry (now, repository timezone) to the body's Timeline; the new body, or None if it
    could not be written (then a reply carries the entry so it is not lost). With `once`, an entry
    already there (a retried delivery) is not written again."""
    now = at or datetime.now(timezone.utc)
    profile, zone = config.config.get_profile(), config.config.timezone

    def change(body: str) -> str:
        return body if once and text in body else add_timeline_entry(body, profile, now, text, None, zone)

    try:
        return forge.edit_body(repository, number, change)
    except (BodyTooLong, ConcurrentEdit) as exc:
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
    if known is None or not known.tracking:
        body = record_in_timeline(forge, config, event.repository, event.number,
                                  DECLARED.format(login=event.actor.login), once=True)
        issue = replace(issue, body=body if body is not None else issue.body)
    incident = reconcile(ctx, config, issue, platform=event.platform, declared_by=event.actor.login,
                         installation_id=event.installation_id, labels_added=event.labels_added, remind=True)
    if known is not None and known.tracking and incident.status != known.status:
        now = datetime.now(timezone.utc)
        record_in_timeline(forge, config, event.repository, event.number,
                           STATUS_BY_LABEL.format(status=incident.status.value, login=event.actor.login))
        resolved = {"resolved_at": now} if incident.status is Status.RESOLVED and not incident.resolved_at else {}
        incident = incident.with_changes(last_update_at=now, **resolved)
        store.save_incident(incident)
        status_changed(store, incident, None, f"delivery-{event.delivery_id}:status", ctx.jobs.announce, now)
    if config.errors and config.claim_warning():
        forge.comment(event.repository, event.number, render_config_errors(config.path, config.errors))


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
    ctx.forge.comment(event.repository, event.number, UNTRACKED_NOTE.format(label=ctx.labels.incident))
