"""One alert notification in neutral terms: alerts/payloads.py reads Alertmanager's, Grafana's and PagerDuty's
webhooks into these, and the handlers act on them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

FIRING, RESOLVED, ACKNOWLEDGED = "firing", "resolved", "acknowledged"


@dataclass(frozen=True)
class Alert:
    """One alert of a notification (Alertmanager's and Grafana's fields; `url` is its generatorURL)."""

    name: str
    status: str  # firing | resolved
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    annotations: Mapping[str, str] = field(default_factory=dict, hash=False)
    starts_at: datetime | None = None
    ends_at: datetime | None = None  # None while firing (Alertmanager sends 0001-01-01)
    url: str = ""
    fingerprint: str = ""
    dashboard_url: str = ""
    panel_url: str = ""
    silence_url: str = ""
    values: str = ""  # Grafana's evaluated values, as text


@dataclass(frozen=True)
class AlertNotice:
    """One notification about one group of alerts (Alertmanager/Grafana: a groupKey; PagerDuty: an incident)."""

    source: str  # the operator's name for the sender, or "pagerduty"
    group: str  # groupKey, or the PagerDuty incident id
    status: str  # FIRING | RESOLVED | ACKNOWLEDGED
    alerts: tuple[Alert, ...] = ()
    group_labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    # commonLabels; PagerDuty: its incident's service, service_id, priority and urgency (what routes match)
    common_labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    common_annotations: Mapping[str, str] = field(default_factory=dict, hash=False)
    external_url: str = ""
    truncated: int = 0  # alerts the sender left out (truncatedAlerts)
    at: datetime | None = None  # when it happened (PagerDuty's occurred_at); None: now
    title: str = ""  # PagerDuty's incident title
    url: str = ""  # PagerDuty's incident page
    urgency: str = ""  # PagerDuty's urgency: high | low
    responder: str = ""  # who acknowledged (PagerDuty's agent)
    event_id: str = ""  # PagerDuty's webhook event id
