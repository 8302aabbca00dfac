"""Alerts declare incidents (issue 17): a firing group with no open incident opens one, detected at the alert's
own time; more alerts update its table; resolving is a timeline entry and one comment (the status moves only as
`alerts.on_resolved` says); firing again soon after reopens the same incident. The worker routes a notice to
the repository its labels name; everything here is the same store and issue writes commands make."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from alerts.events import ACKNOWLEDGED, FIRING, RESOLVED, AlertNotice
from forges.base import labels_after
from forges.events import COMMENT, Actor, CommentEvent, Event
from handlers.command_run import Run
from handlers.context import Context
from handlers.declare import reconcile, record_in_timeline
from handlers.router import Router
from incidents import alert_incident as rules
from incidents.commands import Command
from incidents.model import AlertGroup, Incident, Severity, Status
from incidents.timeline_edits import add_timeline_entry
from issue_templates.render import postmortem_skeleton

ALERT = "alert"
router = Router()
RESOLVED_COMMENT = "The alert group `{group}` from {source} resolved at {at:%Y-%m-%d %H:%M} UTC.{moved}"
MOVED = " The status is now **{status}**, as `alerts.on_resolved` asks."


@dataclass(frozen=True)
class AlertEvent(Event):
    """An alert notice on the repository (and incident, when the group has one) it concerns."""

    notice: AlertNotice | None = None


def alert_event(notice: AlertNotice, platform: str, repository: str, number: int = 0) -> AlertEvent:
    action = {FIRING: "firing", RESOLVED: "resolved", ACKNOWLEDGED: "acknowledged"}[notice.status]
    return AlertEvent(kind=ALERT, action=action, platform=platform, repository=repository, number=number,
                      actor=Actor(login=""), notice=notice, delivery_id=f"alert-{notice.source}-{notice.group}")


def _known(ctx: Context, event: AlertEvent) -> tuple[Incident, AlertGroup] | None:
    notice = event.notice
    assert notice is not None
    group = ctx.store.alert_group(notice.source, notice.group)
    incident = ctx.store.alert_group_incident(notice.source, notice.group) if group is not None else None
    return (incident, group) if incident is not None and group is not None else None


def _firing(notice: AlertNotice) -> tuple[str, ...]:
    return tuple(sorted(a.fingerprint for a in notice.alerts if a.status == FIRING))


@router.register(ALERT, "firing")
def alert_firing(event: AlertEvent, ctx: Context) -> None:
    """Open the group's incident once; later notices of the group update it instead."""
    notice = event.notice
    assert notice is not None
    known = _known(ctx, event)
    if known is None or (known[0].closed_at and not _refires(known[1], ctx, notice)):
        _open(event, ctx, notice, previous=known[0].number if known else 0)
        return
    incident, group = known
    if group.status == RESOLVED:  # firing again, within alerts.reopen_within of resolving
        if incident.closed_at:
            ctx.forge.edit_issue(incident.repository, incident.number, state="open")
            incident = incident.with_changes(closed_at=None)  # the bot's own reopen brings no hook back
            ctx.store.save_incident(incident)
        record_in_timeline(ctx.forge, ctx.config, incident.repository, incident.number,
                           rules.refired_entry(notice), at=rules.detected_at(notice))
    elif _firing(notice) == group.fingerprints:
        return  # the same alerts again (a repeat the receiver did not see): nothing new
    ctx.forge.edit_body(incident.repository, incident.number, lambda body: rules.with_alert_table(body, notice))
    ctx.store.save_alert_group(incident, replace(group, status=FIRING, fingerprints=_firing(notice)))
    reconcile(ctx, ctx.config, ctx.forge.get_issue(incident.repository, incident.number),
              platform=incident.platform, declared_by=incident.commander or "")


def _refires(group: AlertGroup, ctx: Context, notice: AlertNotice) -> bool:
    window = ctx.config.file.alerts.reopen_within
    return group.status == RESOLVED and group.resolved_at is not None and \
        rules.detected_at(notice) - group.resolved_at <= window


def _open(event: AlertEvent, ctx: Context, notice: AlertNotice, previous: int) -> None:
    """The incident issue, opened once across retries (the command ledger keys it by the group and the incident
    it follows), detected at the alert's time, with the severity and components its labels say."""
    config, labels = ctx.config.file, ctx.labels
    key = -int(hashlib.sha256(f"alert:{notice.source}:{notice.group}:{previous}".encode()).hexdigest()[:15], 16)
    opening = CommentEvent(kind=COMMENT, action="created", platform=event.platform, repository=event.repository,
                           number=0, actor=Actor(login=""), comment_id=key, commented_at=datetime.now(UTC))
    run = Run(opening, ctx)
    run.recorded = ctx.store.command_runs(run.comment)
    body = add_timeline_entry(rules.body_of(notice, postmortem_skeleton(config.get_profile())), config.get_profile(),
                              rules.detected_at(notice), rules.detected_entry(notice), "detected", config.timezone)
    severity = rules.severity_of(notice, config.alerts)
    wanted = [labels.incident, labels.status(Status.INVESTIGATING),
              *([labels.severity(Severity(severity))] if severity else []),
              *(labels.component(c) for c in rules.components_of(notice, config.alerts))]
    command = Command(name="incident", args={"text": rules.title_of(notice)}, line=1, raw="alert")
    issue = run.opened_issue(command, event.repository, lambda marker: ctx.forge.create_issue(
        event.repository, rules.title_of(notice)[:200], body + marker, labels=labels_after((), wanted, []),
        incident=True), labels.incident)
    group = AlertGroup(notice.source, notice.group, FIRING, _firing(notice), name=rules.group_name(notice),
                       detected_at=rules.detected_at(notice),
                       url=notice.url or next((a.url for a in notice.alerts if a.url), ""))
    incident = reconcile(ctx, ctx.config, issue, platform=event.platform, declared_by="",
                         installation_id=event.installation_id, remind=True, alert=group)
    ctx.store.save_alert_group(incident, group)


@router.register(ALERT, "resolved")
def alert_resolved(event: AlertEvent, ctx: Context) -> None:
    """A timeline entry at the alert's end and one comment; the status moves as `alerts.on_resolved` says."""
    notice = event.notice
    assert notice is not None
    known = _known(ctx, event)
    if known is None or known[1].status == RESOLVED:
        return  # resolved before, or never opened here: nothing new to say
    incident, group = known
    at, moved = rules.resolved_at(notice) or datetime.now(UTC), _moved_status(ctx)
    tag = "resolved" if moved is Status.RESOLVED else None
    record_in_timeline(ctx.forge, ctx.config, incident.repository, incident.number, rules.resolved_entry(notice),
                       at=at, tag=tag)
    if moved is not None and incident.status is not moved:
        labels = ctx.labels
        ctx.forge.update_issue(incident.repository, incident.number, lambda issue: replace(
            issue, labels=labels_after(issue.labels, [labels.status(moved)], labels.status_labels(issue.labels))))
        ctx.store.save_incident(incident.with_changes(
            status=moved, resolved_at=incident.resolved_at or (at if moved is Status.RESOLVED else None)))
    ctx.forge.comment(incident.repository, incident.number, RESOLVED_COMMENT.format(
        group=notice.group[:80].replace("`", "'"), source=notice.source, at=at,
        moved=MOVED.format(status=moved.value) if moved else ""))
    ctx.store.save_alert_group(incident, replace(group, status=RESOLVED, resolved_at=at, fingerprints=()))
    reconcile(ctx, ctx.config, ctx.forge.get_issue(incident.repository, incident.number),
              platform=incident.platform, declared_by=incident.commander or "")


def _moved_status(ctx: Context) -> Status | None:
    wanted = ctx.config.file.alerts.on_resolved
    return {"monitoring": Status.MONITORING, "resolved": Status.RESOLVED}.get(wanted)


@router.register(ALERT, "acknowledged")
def alert_acknowledged(event: AlertEvent, ctx: Context) -> None:
    """PagerDuty's acknowledgement: a timeline entry naming the responder."""
    notice = event.notice
    assert notice is not None
    known = _known(ctx, event)
    if known is None:
        return
    incident = known[0]
    record_in_timeline(ctx.forge, ctx.config, incident.repository, incident.number,
                       rules.acknowledged_entry(notice), once=True, at=notice.at)
