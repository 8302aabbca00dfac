"""Nudges after resolve (issue 18): an hourly sweep queues one job per open tracked incident, which comments on
its action items past due (in the follow-up issue when there is one, mentioning the owner) and on a postmortem
still incomplete N working days after resolve (mentioning the commander). The rules are incidents/nudges.py;
what was nudged when, and the snoozes, are in the store (store/nudges.py)."""
from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from checks import review
from handlers.context import Context
from handlers.declare import reconcile
from handlers.lifecycle import tick_closed_follow_ups
from incident_desk.logs import log_event
from incidents.action_items import ActionItem, issue_key
from incidents.model import Incident, Status
from incidents.nudges import (
    ACTION_NUDGE,
    POSTMORTEM,
    POSTMORTEM_NUDGE,
    WHOLE_INCIDENT,
    NudgeState,
    action_key,
    add_working_days,
    combined,
    missing_sections,
    nudge_due,
    overdue_actions,
)
from incidents.text import escape
from incidents.timezones import zone
from worker.bootstrap import forge_for, open_context, runtime
from worker.queue import deliveries_queue

__all__ = ["SWEEP_EVERY", "nudge_incident", "schedule_sweep", "sweep_nudges"]

log = logging.getLogger("incident_desk.nudges")
SWEEP_JOB, SWEEP_ID = "worker.nudges.sweep_nudges", "nudges-sweep"
NUDGE_JOB = "worker.nudges.nudge_incident"
SWEEP_EVERY = timedelta(hours=1)


def schedule_sweep(conn, delay: timedelta = SWEEP_EVERY) -> None:
    """The one sweep job, `delay` from now (scheduling again replaces it); the `worker` command arms it."""
    deliveries_queue(conn).enqueue_in(delay, SWEEP_JOB, job_id=SWEEP_ID)


def sweep_nudges() -> int:
    """Queue the nudge job of every open tracked incident, then the next sweep. Returns how many."""
    rt = runtime()
    queue, count = deliveries_queue(rt.conn), 0
    for incident in rt.store.incidents():
        if incident.tracking and not incident.closed_at:
            digest = hashlib.sha1(incident.repository.encode()).hexdigest()[:12]
            queue.enqueue(NUDGE_JOB, incident.platform, incident.repository, incident.number,
                          incident.installation_id, job_id=f"nudge-{incident.platform}-{digest}-{incident.number}")
            count += 1
    schedule_sweep(rt.conn)
    return count


def nudge_incident(platform: str, repository: str, number: int, installation_id: int | None = None) -> int:
    """The nudges due now for one incident; how many comments it wrote."""
    rt = runtime()
    incident = rt.store.get_incident(platform, repository, number)
    if incident is None or not incident.tracking or incident.closed_at:
        return 0
    ctx = open_context(rt, forge_for(rt, platform, installation_id), repository)
    if not ctx.config.file.nudges.enabled:
        return 0
    tick_closed_follow_ups(ctx, ctx.config, incident)  # an item done elsewhere is not nudged
    issue = ctx.forge.get_issue(repository, number)
    document, findings = review(issue.body, ctx.config.file)
    now = datetime.now(UTC)
    states = rt.store.nudge_states(incident)
    overdue = overdue_actions(document.actions, now.astimezone(zone(ctx.config.file.timezone)).date())
    sent = sum(_nudge_action(ctx, incident, action, states, now) for action in overdue)
    sent += _nudge_postmortem(ctx, incident, findings, states, now)
    if overdue:
        reconcile(ctx, ctx.config, issue, platform=platform, declared_by=incident.commander or "",
                  installation_id=installation_id)  # the summary marks them overdue
    if sent:
        log_event(log, platform=platform, repository=repository, number=number, outcome="nudged", count=sent)
    return sent


def _nudge_action(ctx: Context, incident: Incident, action: ActionItem, states: dict[str, NudgeState],
                  now: datetime) -> bool:
    file = ctx.config.file
    key = action_key(action)
    first = add_working_days(action.due, 1, file.nudges.working_days) if action.due else None
    state = combined(states.get(key), states.get(WHOLE_INCIDENT))
    if first is None or not nudge_due(first, state, now, zone(file.timezone), file.nudges):
        return False
    owner = action.owner or incident.commander
    text = ACTION_NUDGE.format(who=f"@{owner}" if owner else "Owner", incident=incident.url or f"#{incident.number}",
                               due=action.due.isoformat(), text=escape(action.text, 500),
                               prefix=ctx.forge.command_prefix)
    where = issue_key(action.linked_issue, incident.repository) if action.linked_issue else None
    repository, number = (where[0], where[1]) if where and where[0] else (incident.repository, incident.number)
    ctx.forge.comment(repository, number, text)
    ctx.store.record_nudge(incident, key, now)
    return True


def _nudge_postmortem(ctx: Context, incident: Incident, findings, states: dict[str, NudgeState],
                      now: datetime) -> bool:
    file = ctx.config.file
    missing = missing_sections(findings)
    if incident.status is not Status.RESOLVED or incident.resolved_at is None or not missing:
        return False
    resolved_day = incident.resolved_at.astimezone(zone(file.timezone)).date()
    first = add_working_days(resolved_day, file.nudges.postmortem_after, file.nudges.working_days)
    state = combined(states.get(POSTMORTEM), states.get(WHOLE_INCIDENT))
    if not nudge_due(first, state, now, zone(file.timezone), file.nudges):
        return False
    who = f"@{incident.commander}" if incident.commander else "Commander"
    sections = ", ".join(f"**{escape(name, 80)}**" for name in missing[:10])
    ctx.forge.comment(incident.repository, incident.number, POSTMORTEM_NUDGE.format(
        who=who, days=file.nudges.postmortem_after, sections=sections, prefix=ctx.forge.command_prefix))
    ctx.store.record_nudge(incident, POSTMORTEM, now)
    return True
