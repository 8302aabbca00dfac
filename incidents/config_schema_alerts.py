"""The config's `alerts:` section (issue 17): how alerts become the repository's incidents."""
from __future__ import annotations

from marshmallow import fields, validate

from incidents.config_fields import Duration, ModelSchema, SeverityName, described
from incidents.config_model import AlertsConfig

ON_RESOLVED = ("comment", "monitoring", "resolved")
URGENCIES = ("high", "low")  # PagerDuty's
NOT_ON_RESOLVED = "Must be one of comment (a comment only), monitoring or resolved (the status it moves to)."
NOT_A_LABEL_NAME = "Not an alert label name: letters, digits and `_`, not starting with a digit (as Prometheus)."
NOT_AN_URGENCY = "Not a PagerDuty urgency; use high or low."
NOT_A_VALUE = "Not a label value: write it as the alerts carry it, such as critical."

_LABEL_NAME = validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]*$", error=NOT_A_LABEL_NAME)
_DEFAULTS = AlertsConfig()


class AlertsSchema(ModelSchema):
    model = AlertsConfig
    on_resolved = fields.String(
        load_default=_DEFAULTS.on_resolved, validate=validate.OneOf(ON_RESOLVED, error=NOT_ON_RESOLVED),
        metadata=described("What an alert group's resolution does besides its timeline entry and one comment: "
                           "`comment` leaves the status alone; `monitoring` or `resolved` moves it there."))
    reopen_within = Duration(
        load_default=lambda: _DEFAULTS.reopen_within,
        metadata=described("An alert firing again this soon after its group resolved reopens the same incident "
                           "instead of opening a new one (1m to 7d, as `reminders.interval` takes it)."))
    severity_label = fields.String(
        load_default=_DEFAULTS.severity_label, validate=_LABEL_NAME,
        metadata=described("The alert label whose value says how bad it is (mapped by `severity_map`)."))
    severity_map = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100, error=NOT_A_VALUE)), values=SeverityName(),
        load_default=lambda: dict(_DEFAULTS.severity_map),
        metadata=described("Value of the `severity_label` label (any case) -> the incident's severity; default "
                           "critical: major-outage, error: partial-outage, warning: degraded-performance. "
                           "A value not listed gives no severity."))
    urgency_map = fields.Dict(
        keys=fields.String(validate=validate.OneOf(URGENCIES, error=NOT_AN_URGENCY)), values=SeverityName(),
        load_default=lambda: dict(_DEFAULTS.urgency_map),
        metadata=described("PagerDuty urgency (high, low) -> the incident's severity; default high: major-outage, "
                           "low: degraded-performance. A PagerDuty incident's `severity_label` label (such as "
                           "`priority`, its priority's name) wins when `severity_map` lists its value."))
    component_label = fields.String(
        load_default=_DEFAULTS.component_label, validate=_LABEL_NAME,
        metadata=described("The alert label whose value is the affected component's id (`component: <value>`)."))
