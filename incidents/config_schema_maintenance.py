"""The config's `maintenance:` section (issue 18): scheduled maintenance declared by `maintenance` issues."""
from __future__ import annotations

from incidents.config_fields import Duration, ModelSchema, described
from incidents.config_model import MaintenanceConfig

_DEFAULTS = MaintenanceConfig()


class MaintenanceSchema(ModelSchema):
    model = MaintenanceConfig
    remind_before = Duration(
        load_default=lambda: _DEFAULTS.remind_before,
        metadata=described("How long before a maintenance starts its subscribers hear of it again (1m to 7d, "
                           "as `reminders.interval` takes it); they also hear when it is scheduled, when it "
                           "starts and when it completes."))
