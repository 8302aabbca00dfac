"""Alertmanager's, Grafana's and PagerDuty's webhooks read into AlertNotices (alerts/events.py).

Alertmanager's webhook (payload version 4) and Grafana alerting's webhook contact point share one shape; Grafana
adds orgId and, per alert, dashboardURL, panelURL, silenceURL and values. PagerDuty's v3 webhooks wrap one event
whose `data` is, for the incident events handled here, the incident; its service, priority and urgency become
the notice's labels, so that routes match them as they match an alert's. Examples: tests/fixtures/alerts/.
Unknown fields are ignored (senders add fields over time); a field we read with the wrong type, a status that is
neither firing nor resolved, or a date that is not RFC 3339 makes the payload malformed (PayloadError).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from alerts.events import ACKNOWLEDGED, FIRING, RESOLVED, Alert, AlertNotice

PAGERDUTY = "pagerduty"
# PagerDuty's event types handled, and the notice status each becomes.
PAGERDUTY_EVENTS = {"incident.triggered": FIRING, "incident.acknowledged": ACKNOWLEDGED,
                    "incident.resolved": RESOLVED}


class PayloadError(ValueError):
    """The payload is not one the sender documents: the receiver answers 400."""


class RFC3339(fields.Field):
    """An RFC 3339 time (`2018-08-03T09:52:26.739266876+02:00`: Go's nanoseconds are cut to microseconds), in UTC.
    A time without an offset is refused: it would be read in whatever zone this process runs."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("not a date-time")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError("not a date-time") from exc
        if parsed.tzinfo is None:
            raise ValidationError("a date-time without its offset")
        return parsed.astimezone(UTC) if parsed.year > 1 else parsed.replace(tzinfo=UTC)


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


def _text():
    return fields.String(load_default="")


def _strings():
    """Labels and annotations: string names and string values, as both senders send them."""
    return fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


_STATUS = validate.OneOf([FIRING, RESOLVED])


class AlertSchema(_Base):
    status = fields.String(required=True, validate=_STATUS)
    labels = _strings()
    annotations = _strings()
    startsAt = RFC3339(load_default=None)
    endsAt = RFC3339(load_default=None)
    generatorURL = _text()
    fingerprint = _text()
    silenceURL = _text()  # Grafana's
    dashboardURL = _text()
    panelURL = _text()
    values = fields.Dict(keys=fields.String(), load_default=None)  # Grafana's, e.g. {"B": 44.2, "C": 1}
    valueString = _text()  # older Grafana's values as text


class NotificationSchema(_Base):
    """Alertmanager's version 4 and Grafana's (version 1) webhook: the version is read, not required."""

    version = _text()
    groupKey = fields.String(required=True, validate=validate.Length(min=1))
    truncatedAlerts = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    status = fields.String(required=True, validate=_STATUS)
    receiver = _text()
    groupLabels = _strings()
    commonLabels = _strings()
    commonAnnotations = _strings()
    externalURL = _text()
    alerts = fields.List(fields.Nested(AlertSchema), required=True, validate=validate.Length(min=1))
    orgId = fields.Integer(load_default=None)  # Grafana's


class ReferenceSchema(_Base):
    """PagerDuty's `*_reference` objects (a user, a service): who or what, by name."""

    id = _text()
    summary = _text()
    html_url = _text()


class IncidentSchema(_Base):
    """`event.data` of PagerDuty's incident events: the incident."""

    id = fields.String(required=True, validate=validate.Length(min=1))
    html_url = _text()
    title = _text()
    urgency = _text()
    status = _text()
    assignees = fields.List(fields.Nested(ReferenceSchema), load_default=list)
    service = fields.Nested(ReferenceSchema, load_default=None, allow_none=True)
    priority = fields.Nested(ReferenceSchema, load_default=None, allow_none=True)  # null: no priorities set
    teams = fields.List(fields.Nested(ReferenceSchema), load_default=list, allow_none=True)


class EventSchema(_Base):
    id = fields.String(required=True, validate=validate.Length(min=1))
    event_type = fields.String(required=True)
    resource_type = _text()
    occurred_at = RFC3339(required=True)
    agent = fields.Nested(ReferenceSchema, load_default=None, allow_none=True)
    data = fields.Dict(required=True)


class PagerDutyWebhookSchema(_Base):
    event = fields.Nested(EventSchema, required=True)


def _load(schema: Schema, payload, what: str) -> dict:
    if not isinstance(payload, Mapping):
        raise PayloadError(f"{what}: not a JSON object")
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise PayloadError(f"{what}: {sorted(_paths(exc.messages))}") from exc


def _paths(messages, prefix: str = "") -> list[str]:
    """The fields that failed (`alerts.0.status`), never their values: the message is logged."""
    if isinstance(messages, dict):
        return [path for key, inner in messages.items()
                for path in _paths(inner, f"{prefix}.{key}" if prefix else str(key))]
    return [prefix or "payload"]


def read_alertmanager(source: str, payload) -> AlertNotice:
    """An Alertmanager or Grafana notification, from the source the operator named."""
    data = _load(NotificationSchema(), payload, "alert notification")
    return AlertNotice(
        source=source, group=data["groupKey"], status=data["status"],
        alerts=tuple(_alert(item) for item in data["alerts"]),
        group_labels=data["groupLabels"], common_labels=data["commonLabels"],
        common_annotations=data["commonAnnotations"], external_url=data["externalURL"],
        truncated=data["truncatedAlerts"])


def _alert(item: dict) -> Alert:
    ends_at = item["endsAt"]
    if item["status"] == FIRING or (ends_at is not None and ends_at.year <= 1):
        ends_at = None  # Go's zero time while firing; a firing alert's future endsAt is not an end either
    return Alert(
        name=item["labels"].get("alertname", ""), status=item["status"], labels=item["labels"],
        annotations=item["annotations"], starts_at=item["startsAt"], ends_at=ends_at,
        url=item["generatorURL"], fingerprint=item["fingerprint"], dashboard_url=item["dashboardURL"],
        panel_url=item["panelURL"], silence_url=item["silenceURL"], values=_values(item))


def _values(item: dict) -> str:
    """Grafana's evaluated values as text, `B=44.23943737541908, C=1`; older Grafana sent them as text."""
    values = item["values"]
    if not values:
        return item["valueString"]
    return ", ".join(f"{name}={value if isinstance(value, str) else json.dumps(value)}"
                     for name, value in sorted(values.items()))


def read_pagerduty(payload) -> AlertNotice | None:
    """A PagerDuty v3 webhook's incident event; None for an event type not handled here."""
    event = _load(PagerDutyWebhookSchema(), payload, "PagerDuty webhook")["event"]
    status = PAGERDUTY_EVENTS.get(event["event_type"])
    if status is None:
        return None
    incident = _load(IncidentSchema(), event["data"], f"PagerDuty {event['event_type']}")
    agent = event["agent"] or {}
    return AlertNotice(
        source=PAGERDUTY, group=incident["id"], status=status, at=event["occurred_at"],
        title=incident["title"], url=incident["html_url"], urgency=incident["urgency"],
        responder=agent.get("summary", "") if status == ACKNOWLEDGED else "", event_id=event["id"],
        common_labels=_pagerduty_labels(incident))


def _pagerduty_labels(incident: dict) -> dict[str, str]:
    """The labels a PagerDuty incident is routed by, as an alert's are: `service` (the service's summary, its
    name), `service_id`, `priority` (the priority's summary, such as P1), `urgency`, and `team` and `team_id` (the
    first team the incident names); each only when sent."""
    service, priority = incident["service"] or {}, incident["priority"] or {}
    team = next(iter(incident["teams"] or ()), None) or {}
    labels = {"service": service.get("summary", ""), "service_id": service.get("id", ""),
              "priority": priority.get("summary", ""), "urgency": incident["urgency"],
              "team": team.get("summary", ""), "team_id": team.get("id", "")}
    return {name: value.strip() for name, value in labels.items() if value.strip()}


def notice_key(notice: AlertNotice) -> str:
    """What makes a notification a repeat of one already received.

    Alertmanager re-sends a group every repeat_interval unchanged: the same source, group, status and alerts
    (by fingerprint, status and startsAt) is a repeat. startsAt is part of it so that an alert that resolved and
    fired again (a new startsAt) is news, not a repeat of its first firing; truncatedAlerts too, so that one
    more alert joining past max_alerts is news. PagerDuty: its event id."""
    if notice.source == PAGERDUTY and notice.event_id:
        return json.dumps([PAGERDUTY, notice.event_id])
    alerts = sorted([alert.fingerprint or json.dumps(sorted(alert.labels.items())), alert.status,
                     alert.starts_at.isoformat() if alert.starts_at else ""] for alert in notice.alerts)
    return json.dumps([notice.source, notice.group, notice.status, notice.truncated, alerts])
