"""The alert job (issue 17): a notice read from its payload, routed to the repository its group's incident is in
(or its labels name), and handled there; an alert that matches no route is refused with a logged reason."""
from __future__ import annotations

import logging

from alerts.events import FIRING, AlertNotice
from alerts.payloads import read_alertmanager, read_pagerduty
from forges import forge_for_repository
from handlers import router
from handlers.alerts import alert_event
from incident_desk.logs import log_event
from incidents.alert_routes import parse_routes, route
from worker.bootstrap import Runtime, forge_for, open_context, runtime
from worker.jobs import count_job, incident_lock
from worker.queue import KEY_PREFIX
from worker.retry import is_transient, log_reason, retry_delay, retry_later

log = logging.getLogger("incident_desk.worker")
PAGERDUTY = "pagerduty"


def process_alert(source: str, delivery_id: str, payload: dict, attempt: int = 1) -> str:
    """Handle one alert notification. Safe to run twice: the group remembers what it last saw."""
    rt = runtime()
    notice = read_pagerduty(payload) if source == PAGERDUTY else read_alertmanager(source, payload)
    if notice is None:
        return "ignored"
    said = dict(platform=source, delivery_id=delivery_id, event=f"alert-{notice.status}")
    try:
        outcome, reason = _handle(rt, notice)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            count_job(rt.conn, "alerts", source, "failed")
            log_event(log, **said, outcome="failed", attempt=attempt, reason=log_reason(exc))
            raise
        delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
        retry_later(rt.conn, process_alert, (source, delivery_id, payload), attempt, delay)
        log_event(log, **said, outcome="retry", attempt=attempt, retry_in_s=round(delay, 2), reason=log_reason(exc))
        return "retry scheduled"
    count_job(rt.conn, "alerts", source, outcome)
    log_event(log, **said, outcome=outcome, attempt=attempt, **({"reason": reason} if reason else {}))
    return outcome


def _handle(rt: Runtime, notice: AlertNotice) -> tuple[str, str | None]:
    """(outcome, reason): the group's incident's repository, else the route its labels take."""
    incident = rt.store.alert_group_incident(notice.source, notice.group)
    lock = f"{KEY_PREFIX}:lock:alert:{notice.source}:{notice.group}"
    if incident is not None:
        forge = forge_for(rt, incident.platform, incident.installation_id)
        event = alert_event(notice, incident.platform, incident.repository, incident.number)
    elif notice.status != FIRING:
        return "ignored", "no incident was opened for this group"
    else:
        labels = {**{k: v for a in notice.alerts[:1] for k, v in a.labels.items()}, **notice.common_labels}
        target = route(parse_routes(rt.settings.alert_routes), labels)
        if target is None:
            return "refused", f"no route in INCIDENT_DESK_ALERT_ROUTES matches the labels {sorted(labels.items())}"
        forge = forge_for_repository(target[0], rt.settings, target[1])
        forge.identity_cache = rt.conn
        event = alert_event(notice, target[0], target[1])
    ctx = open_context(rt, forge, event.repository)
    with incident_lock(rt.conn, lock):  # one group at a time: two notices must not both open an incident
        return ("processed" if router.dispatch(event, ctx) else "ignored"), None
