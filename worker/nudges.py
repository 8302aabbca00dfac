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
from store.ledger import LEDGER_DAYS
from worker.bootstrap import Runtime, forge_for, open_context, runtime
from worker.queue import KEY_PREFIX, deliveries_queue
from worker.retry import is_transient, retry_delay, retry_later

__all__ = ["SWEEP_EVERY", "nudge_incident", "schedule_sweep", "sweep_nudges"]

log = logging.getLogger("incident_desk.nudges")
SWEEP_JOB, SWEEP_ID = "worker.nudges.sweep_nudges", "nudges-sweep"
NUDGE_JOB = "worker.nudges.nudge_incident"
SWEEP_EVERY = timedelta(hours=1)
NUDGE_MARKER = "<!-- incident-desk:nudge {id} -->"
INTENT_FOR = timedelta(days=1)  # how long a nudge's intent waits for a re-run to finish it


def schedule_sweep(conn, delay: timedelta = SWEEP_EVERY) -> None:
    """The one sweep job, `delay` from now (scheduling again replaces it); the `worker` command arms it."""
    deliveries_queue(conn).enqueue_in(delay, SWEEP_JOB, job_id=SWEEP_ID)


def sweep_nudges() -> int:
    """Queue the nudge job of every open tracked incident, prune the command ledger's old rows, then schedule the
    next sweep. Returns how many incidents were queued."""
    rt = runtime()
    queue, count = deliveries_queue(rt.conn), 0
    for incident in rt.store.incidents():
        if incident.tracking and not incident.closed_at:
            digest = hashlib.sha1(incident.repository.encode()).hexdigest()[:12]
            queue.enqueue(NUDGE_JOB, incident.platform, incident.repository, incident.number,
                          incident.installation_id, job_id=f"nudge-{incident.platform}-{digest}-{incident.number}")
            count += 1
    pruned = rt.store.prune_command_runs(datetime.now(UTC) - timedelta(days=LEDGER_DAYS))
    if pruned:
        log_event(log, outcome="ledger pruned", rows=pruned)
    schedule_sweep(rt.conn)
    return count


def nudge_incident(platform: str, repository: str, number: int, installation_id: int | None = None,
                   attempt: int = 1) -> int:
    """The nudges due now for one incident; how many comments it wrote. A locked database or a forge's 5xx is
    retried with backoff, like the other jobs."""
    rt = runtime()
    try:
        return _nudge(rt, platform, repository, number, installation_id)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            raise
        retry_later(rt.conn, nudge_incident, (platform, repository, number, installation_id), attempt,
                    retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds))
        return 0


def _nudge(rt: Runtime, platform: str, repository: str, number: int, installation_id: int | None) -> int:
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
    sent = sum(_nudge_action(ctx, rt.conn, incident, action, states, now) for action in overdue)
    sent += _nudge_postmortem(ctx, rt.conn, incident, findings, states, now)
    if overdue:
        reconcile(ctx, ctx.config, issue, platform=platform, declared_by=incident.commander or "",
                  installation_id=installation_id)  # the summary marks them overdue
    if sent:
        log_event(log, platform=platform, repository=repository, number=number, outcome="nudged", count=sent)
    return sent


def _comment_once(ctx: Context, conn, incident: Incident, key: str, where: tuple[str, int], text: str,
                  now: datetime) -> None:
    """The nudge's comment, then its record, once even when the worker dies between the two: the intent is
    noted first (in Redis), the comment carries it as a hidden marker, and a re-run that finds an unfinished
    intent looks for that marker among the issue's comments once before commenting again."""
    item = hashlib.sha1(f"{incident.platform}:{incident.repository}#{incident.number}:{key}".encode()).hexdigest()
    intent = f"{KEY_PREFIX}:nudge-intent:{item[:20]}"
    noted = conn.get(intent)  # it expires: one older than a day was a nudge no longer due on its re-run
    unfinished = noted is not None
    if noted is None:
        noted = str(int(now.timestamp())).encode()
        conn.set(intent, noted, ex=int(INTENT_FOR.total_seconds()))
    marker = NUDGE_MARKER.format(id=f"{item[:20]}-{noted.decode()}")
    if not (unfinished and any(marker in c.body and ctx.forge.wrote(c) for c in ctx.forge.list_comments(*where))):
        ctx.forge.comment(*where, f"{text}\n\n{marker}")
    ctx.store.record_nudge(incident, key, now)
    conn.delete(intent)


def _nudge_action(ctx: Context, conn, incident: Incident, action: ActionItem, states: dict[str, NudgeState],
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
    _comment_once(ctx, conn, incident, key, (repository, number), text, now)
    return True


def _nudge_postmortem(ctx: Context, conn, incident: Incident, findings, states: dict[str, NudgeState],
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
    _comment_once(ctx, conn, incident, POSTMORTEM, (incident.repository, incident.number), POSTMORTEM_NUDGE.format(
        who=who, days=file.nudges.postmortem_after, sections=sections, prefix=ctx.forge.command_prefix), now)
    return True
