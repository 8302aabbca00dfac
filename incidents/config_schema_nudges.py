"""The config's `nudges:` section (issue 18): comments about overdue action items and unwritten postmortems."""
from __future__ import annotations

from marshmallow import fields, validate

from incidents.config_fields import ModelSchema, described
from incidents.nudges import WEEKDAYS, NudgesConfig

NOT_A_WEEKDAY = "Not a weekday; use mon, tue, wed, thu, fri, sat or sun."
_DEFAULTS = NudgesConfig()


class NudgesSchema(ModelSchema):
    model = NudgesConfig
    enabled = fields.Boolean(
        load_default=_DEFAULTS.enabled,
        metadata=described("Comment about action items past their due date and postmortems left unwritten."))
    working_days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS, error=NOT_A_WEEKDAY)),
        load_default=lambda: list(_DEFAULTS.working_days),
        metadata=described("The days nudges are sent and `postmortem_after` counts (the repository's timezone); "
                           "default mon to fri."))
    repeat_every_days = fields.Integer(
        load_default=_DEFAULTS.repeat_every_days, validate=validate.Range(min=1, max=365),
        metadata=described("After an item's first nudge (an action: the first working day after its due date), "
                           "the next comes this many days later while it is still not done; default 7 (weekly). "
                           "Never more than one a day per item."))
    postmortem_after = fields.Integer(
        load_default=_DEFAULTS.postmortem_after, validate=validate.Range(min=1, max=100),
        metadata=described("Working days after resolve when an incomplete postmortem first nudges the commander, "
                           "naming the missing sections; default 5."))
