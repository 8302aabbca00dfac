"""Scheduled maintenance from issues (issue 18 item 1): an issue with the `maintenance` label declares a window
(its form's or template's Start, End, Components and Message); editing the times reschedules, closing the issue
early completes it, removing the label cancels it. The transitions and the notices are the job's
(worker/maintenance_jobs.py): every change here asks for it at once, and it schedules its next moment itself."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forges.events import ISSUE, IssueEvent
from handlers.context import Context
from handlers.router import Router
from incidents import timezones
from incidents.maintenance import Maintenance, parse_window
from incidents.status_page import local_time

SCHEDULED = ("Scheduled maintenance: {start} to {end}{components}. It is on the status page as upcoming; "
             "subscribers hear of it now, {before} before it starts, when it starts and when it completes. "
             "Edit the times to reschedule, close this issue to complete it early, remove the `{label}` label "
             "to cancel it.")
NOT_SCHEDULED = "This maintenance is not on the status page: {reason}"
CANCELLED = "Maintenance cancelled (the `{label}` label was removed); subscribers who heard of it are told."

router = Router()


@router.register(ISSUE, "opened", "edited", "labeled", "reopened")
def keep_maintenance(event: IssueEvent, ctx: Context) -> None:
    """The issue's window in the store, as its body says; a new or changed window is confirmed in a comment."""
    scheme = ctx.config.labels
    if not scheme.is_maintenance(event.labels) or scheme.is_private(event.labels, event.confidential):
        return  # a confidential (or private-labelled) issue never reaches the public page
    config = ctx.config.file
    zone = timezones.zone(config.timezone)
    issue = ctx.issue(event)
    window = parse_window(issue.body, zone, config.components)
    known = ctx.store.maintenance(event.platform, event.repository, event.number)
    if isinstance(window, str):
        if known is None and event.action in ("opened", "labeled"):
            ctx.forge.comment(event.repository, event.number, NOT_SCHEDULED.format(reason=window))
        return
    maintenance, changed = ctx.store.save_maintenance(event.platform, event.repository, event.number, issue.title,
                                                      window, event.installation_id)
    if event.state == "closed":
        maintenance = ctx.store.end_maintenance(event.platform, event.repository, event.number,
                                                closed_at=event.closed_at or datetime.now(UTC)) or maintenance
    elif maintenance.closed_at is not None and event.action == "reopened":
        maintenance = ctx.store.end_maintenance(event.platform, event.repository, event.number) or maintenance
    ctx.jobs.schedule_maintenance(maintenance.id, timedelta(0))
    if changed:
        ctx.forge.comment(event.repository, event.number, _confirmation(maintenance, ctx))


@router.register(ISSUE, "closed")
def complete_early(event: IssueEvent, ctx: Context) -> None:
    """Closing the issue completes a maintenance that has not ended (and takes an upcoming one off the page)."""
    known = ctx.store.maintenance(event.platform, event.repository, event.number)
    if known is None or known.cancelled_at is not None:
        return
    ended = ctx.store.end_maintenance(event.platform, event.repository, event.number,
                                      closed_at=event.closed_at or datetime.now(UTC))
    if ended is not None:
        ctx.jobs.schedule_maintenance(ended.id, timedelta(0))


@router.register(ISSUE, "unlabeled")
def cancel(event: IssueEvent, ctx: Context) -> None:
    """Removing the label cancels the maintenance."""
    scheme = ctx.config.labels
    removed = {label.lower() for label in event.labels_removed}
    if scheme.maintenance.lower() not in removed or scheme.is_maintenance(event.labels):
        return
    known = ctx.store.maintenance(event.platform, event.repository, event.number)
    if known is None or known.cancelled_at is not None:
        return
    cancelled = ctx.store.end_maintenance(event.platform, event.repository, event.number,
                                          cancelled_at=datetime.now(UTC))
    if cancelled is not None:
        ctx.jobs.schedule_maintenance(cancelled.id, timedelta(0))
        ctx.forge.comment(event.repository, event.number, CANCELLED.format(label=scheme.maintenance))


def _confirmation(maintenance: Maintenance, ctx: Context) -> str:
    zone = timezones.zone(ctx.config.file.timezone)
    names = {c.id: c.name for c in ctx.config.file.components}
    listed = ", ".join(names.get(c, c) for c in maintenance.window.components)
    before = ctx.config.file.maintenance.remind_before
    return SCHEDULED.format(start=local_time(maintenance.window.start, zone),
                            end=local_time(maintenance.window.end, zone),
                            components=f" ({listed})" if listed else "", before=_duration(before),
                            label=ctx.config.labels.maintenance)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
