"""The config file's marshmallow schema: the single source of every key, its default and its description.

Each schema names the frozen dataclass of incidents/config_model.py it loads into; one post-load
(ModelSchema.make, in incidents/config_fields.py with the durations and severities) builds them all.
The `alerts:` section is in incidents/config_schema_alerts.py.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from incidents.command_table import COMMANDS
from incidents.config_fields import (  # noqa: F401  # parse_duration, frozen and the messages: importable here too
    ARCHIVE_RANGE,
    DURATION_RANGE,
    NOT_A_DURATION,
    NOT_A_SEVERITY,
    Duration,
    DurationOrNever,
    ModelSchema,
    SeverityName,
    described,
    frozen,
    parse_duration,
)
from incidents.config_model import (
    ANNOUNCED,
    ActionsConfig,
    Allowed,
    BlogConfig,
    Component,
    LabelsConfig,
    NotificationRule,
    RemindersConfig,
    RepoConfig,
    SlackConfig,
    StatusPageConfig,
)
from incidents.config_schema_alerts import AlertsSchema
from incidents.config_schema_maintenance import MaintenanceSchema
from incidents.config_schema_nudges import NudgesSchema
from incidents.profiles import DEFAULT_PROFILE, PROFILES
from incidents.taxonomy import normalize_term
from incidents.timezones import is_zone

NOT_A_TIMEZONE = "Not an IANA timezone name such as America/Bogota or UTC."
NOT_A_SLACK_USER = "Not a Slack user id (U… or W…, as in the member's profile) or an e-mail address."
NOT_A_LOGIN = "Not a forge login: write the GitHub login or GitLab username, such as alice."
NOT_A_CHANNEL = "Not a Slack channel: write its id (C…, from the channel's details) or #name."
NOT_A_TARGET = "Not a target name: letters, digits, `.`, `_` and `-`, as in INCIDENT_DESK_CHAT_TARGETS."
UNKNOWN_EVENT = "Unknown event {input!r}; events are: " + ", ".join(ANNOUNCED) + "."
UNKNOWN_PROFILE = "Unknown profile {name!r}; use one of {known} or define it under `profiles`."
BUILTIN_PROFILE = "{name!r} is a built-in profile and cannot be redefined; pick another name."
DUPLICATE_COMPONENT = "Component id {id!r} is used more than once."
UNKNOWN_COMMAND = "Unknown command {name!r}; commands are: {known}."
BAD_TERM = "Not a taxonomy term: use UPPER_CASE words joined by underscores."


# --- field helpers --------------------------------------------------------------------

_d = described
is_timezone = is_zone  # the config's name for it: True for an IANA timezone name this machine knows


def _validate_timezone(name: str | None) -> None:
    if name is not None and not is_timezone(name):
        raise ValidationError(NOT_A_TIMEZONE)


class TaxonomyTerm(fields.String):
    """A taxonomy term as written (validated as written), loaded in its normal form: `data quality` is DATA_QUALITY."""

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> str:
        return normalize_term(super().deserialize(value, attr, data, **kwargs))


_LABEL = validate.Length(min=1, max=50)


def _names(description: str) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1)), load_default=list,
                       metadata=_d(description))


def _label(default: str | None, description: str) -> fields.String:
    """A label name or prefix; None as default means "the platform's default"."""
    return fields.String(load_default=default, allow_none=default is None, validate=_LABEL,
                         metadata=_d(description))



class LabelsSchema(ModelSchema):
    model = LabelsConfig
    incident = _label("incident", "Label that marks an issue as an incident.")
    status_prefix = _label(None, "Prefix of status labels; default `status::` on GitLab, `status: ` on GitHub.")
    severity_prefix = _label(None, "Prefix of severity labels; default `severity::` on GitLab, `severity: ` on GitHub.")
    component_prefix = _label("component: ", "Prefix of component labels, followed by the component id.")
    postmortem_complete = _label(None, "Label for a postmortem with no errors; default `postmortem: complete` "
                                       "(`postmortem::complete` on GitLab).")
    postmortem_incomplete = _label(None, "Label for a postmortem with errors; default `postmortem: incomplete` "
                                         "(`postmortem::incomplete` on GitLab).")
    blog_draft = _label("blog-draft", "Label that asks for a blog-post draft.")
    private = _label("incident: private", "Label that keeps a GitHub incident off the status page, feeds and blog.")
    maintenance = _label("maintenance", "Label that marks an issue as a scheduled maintenance for the status page.")


class ComponentSchema(ModelSchema):
    model = Component
    id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"),
                       metadata=_d("Short id used in labels (`component: <id>`) and commands."))
    name = fields.String(load_default=None, allow_none=True, metadata=_d("Display name; defaults to the id."))
    description = fields.String(load_default="", metadata=_d("What the component is, shown on the status page."))
    group = fields.String(load_default=None, allow_none=True,
                          metadata=_d("Status-page group the component is listed under."))


class RemindersSchema(ModelSchema):
    model = RemindersConfig
    interval = Duration(load_default=lambda: timedelta(hours=1),
                        metadata=_d("How often to ask the commander for an update while unresolved (1m to 7d)."))


class ActionsSchema(ModelSchema):
    model = ActionsConfig
    require_owner = fields.Boolean(load_default=None, allow_none=True,
                                   metadata=_d("Every action item must name an @owner; default: as the profile says."))
    require_due_date = fields.Boolean(load_default=None, allow_none=True,
                                      metadata=_d("Every action item must have `due YYYY-MM-DD`; "
                                                  "default: as the profile says."))


class AllowedSchema(ModelSchema):
    model = Allowed
    allowed_users = _names("Users allowed to run the command.")
    allowed_teams = _names("Teams (`org/team-slug` or GitLab group path) allowed to run the command.")


class BlogSchema(ModelSchema):
    model = BlogConfig
    repository = fields.String(load_default=None, allow_none=True,
                               metadata=_d("Repository (owner/name or group/project) for blog drafts; "
                                           "none: post the draft as a comment."))
    path = fields.String(load_default="blog/{date}-{slug}.md", validate=validate.Length(min=1),
                         metadata=_d("Path of the draft in the blog repository; `{date}` and `{slug}` are filled in."))
    template = fields.String(load_default=None, allow_none=True,
                             metadata=_d("Path of a Jinja2 template for the draft; none: the built-in one."))
    allowed_users = _names("Users who may request a blog draft.")
    allowed_teams = _names("Teams who may request a blog draft.")


_SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$")


class StatusPageSchema(ModelSchema):
    model = StatusPageConfig
    enabled = fields.Boolean(load_default=False, metadata=_d("Publish this repository's incidents on a status page."))
    slug = fields.String(load_default=None, allow_none=True, validate=_SLUG,
                         metadata=_d("The page's address: /status/<slug>/."))
    title = fields.String(load_default=None, allow_none=True, metadata=_d("Page title."))
    timezone = fields.String(load_default=None, allow_none=True, validate=_validate_timezone,
                             metadata=_d("IANA timezone for times on the page; default: the repository's."))
    repositories = _names("Other repositories whose incidents appear on the same page, once each of them "
                          "lists this page's slug in its own `status_page.pages`.")
    pages = fields.List(fields.String(validate=_SLUG), load_default=list,
                        metadata=_d("Slugs of other repositories' pages that may show this repository's incidents "
                                    "(the pages must list this repository in their `repositories`)."))


_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SlackUser(fields.String):
    """A Slack user id as written, or an e-mail address in lower case (Slack's profile may differ in case)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not _SLACK_USER.match(text):
            raise ValidationError(NOT_A_SLACK_USER)
        return text.lower() if "@" in text else text


class ForgeLogin(fields.String):
    """A GitHub login or GitLab username, with or without its `@`; loaded without it."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not _LOGIN.match(text):
            raise ValidationError(NOT_A_LOGIN)
        return text.removeprefix("@")


class SlackSchema(ModelSchema):
    model = SlackConfig
    users = fields.Dict(keys=SlackUser(), values=ForgeLogin(), load_default=dict,
                        metadata=_d("Slack user id (U… or W…) or e-mail address -> the forge login that person "
                                    "acts as; unmapped people may declare incidents but run no other command."))
    announce_channel = fields.String(load_default=None, allow_none=True,
                                     validate=validate.Regexp(r"^C[A-Z0-9]{2,}$|^#[a-z0-9][a-z0-9_-]{0,79}$",
                                                              error=NOT_A_CHANNEL),
                                     metadata=_d("Channel where new incidents are announced: its id (C…) or "
                                                 "#name; none: no announcement in Slack."))
    archive_after = DurationOrNever(load_default=None, allow_none=True,
                                    metadata=_d("Archive an incident's channel this long after the issue is closed "
                                                "(1m to 365d, as `reminders.interval` takes it), or `never` "
                                                "(the default)."))


class NotificationSchema(ModelSchema):
    model = NotificationRule
    target = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                                                                   error=NOT_A_TARGET),
                           metadata=_d("A target the server defines in INCIDENT_DESK_CHAT_TARGETS (its URL holds "
                                       "a secret, so it never appears here)."))
    events = fields.List(fields.String(validate=validate.OneOf(ANNOUNCED, error=UNKNOWN_EVENT)),
                         load_default=lambda: list(ANNOUNCED),
                         metadata=_d("What the target hears about, of " + ", ".join(ANNOUNCED) + "; default: all."))
    min_severity = SeverityName(load_default=None, allow_none=True,
                                metadata=_d("Only incidents this severe or worse (major-outage is the worst); "
                                            "an incident without a severity does not pass. None: every incident."))


class ProfileSchema(ModelSchema):
    """A custom profile stays a mapping; incidents.profiles.make_profile reads it."""

    required = fields.List(fields.String(validate=validate.Length(min=1)), required=True,
                           validate=validate.Length(min=1), metadata=_d("Section headings the postmortem must have."))
    aliases = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), load_default=dict,
                          metadata=_d("Section name -> other headings accepted for it."))
    min_whys = fields.Integer(load_default=3, validate=validate.Range(min=0, max=20),
                              metadata=_d("Fewest steps in the five whys."))
    require_owner = fields.Boolean(load_default=True, metadata=_d("Action items must name an owner."))
    require_due_date = fields.Boolean(load_default=False, metadata=_d("Action items must have a due date."))
    asks_for_taxonomy = fields.Boolean(load_default=False, metadata=_d("Warn when no taxonomy term is given."))


def _nested(schema: type[Schema], description: str) -> fields.Nested:
    return fields.Nested(schema, load_default=lambda: schema().load({}), metadata=_d(description))


class RepoConfigSchema(ModelSchema):
    model = RepoConfig
    profile = fields.String(load_default=DEFAULT_PROFILE,
                            metadata=_d("Postmortem profile: timeline-rca-actions, impact-cause-solution-conclusion, "
                                        "full, or one under `profiles`."))
    profiles = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*$")),
                           values=fields.Nested(ProfileSchema), load_default=dict,
                           metadata=_d("Custom profiles by name."))
    timezone = fields.String(load_default=None, allow_none=True, validate=_validate_timezone,
                             metadata=_d("IANA timezone for timeline times without an offset; "
                                         "none: UTC, with a warning."))
    labels = _nested(LabelsSchema, "Label names.")
    components = fields.List(fields.Nested(ComponentSchema), load_default=list,
                             metadata=_d("Components that incidents can affect."))
    taxonomy = fields.List(TaxonomyTerm(validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_ -]*$", error=BAD_TERM)),
                           load_default=list, metadata=_d("Extra taxonomy terms besides reference/001's."))
    reminders = _nested(RemindersSchema, "Reminders while an incident is unresolved.")
    actions = _nested(ActionsSchema, "Rules for action items, overriding the profile.")
    close_when_actions_done = fields.Boolean(
        load_default=False, metadata=_d("Close a resolved incident when its last action item is done."))
    blog = _nested(BlogSchema, "Blog-post drafts.")
    commands = fields.Dict(keys=fields.String(), values=fields.Nested(AllowedSchema), load_default=dict,
                           metadata=_d("Per command, who besides the default roles may run it."))
    status_page = _nested(StatusPageSchema, "The public status page.")
    slack = _nested(SlackSchema, "The repository's incidents in Slack: who is who, announcements, archiving.")
    notifications = fields.List(fields.Nested(NotificationSchema), load_default=list,
                                metadata=_d("Which announcement targets (Teams, Discord, Matrix… through Apprise) "
                                            "hear about which events of this repository's incidents."))
    alerts = _nested(AlertsSchema, "How alerts (Alertmanager, Grafana, PagerDuty) become this repository's "
                                   "incidents: severity and components from alert labels, what resolution does.")
    nudges = _nested(NudgesSchema, "Nudges after resolve: action items past due, postmortems left unwritten.")
    maintenance = _nested(MaintenanceSchema, "Scheduled maintenance declared by `maintenance` issues.")

    @validates("commands")
    def _known_commands(self, value: Mapping[str, Any], **kwargs: Any) -> None:
        unknown = sorted(set(value) - set(COMMANDS))
        if unknown:
            raise ValidationError(UNKNOWN_COMMAND.format(name=unknown[0], known=", ".join(COMMANDS)))

    @validates("components")
    def _unique_components(self, value: list[Any], **kwargs: Any) -> None:
        seen: set[str] = set()
        for component in value:
            if not isinstance(component, Component):
                continue  # invalid entries are reported by their own schema
            if component.id in seen:
                raise ValidationError(DUPLICATE_COMPONENT.format(id=component.id))
            seen.add(component.id)

    @validates("profiles")
    def _no_builtin_redefinition(self, value: Mapping[str, Any], **kwargs: Any) -> None:
        for name in value:
            if name in PROFILES:
                raise ValidationError(BUILTIN_PROFILE.format(name=name))

    @validates_schema(skip_on_field_errors=False)
    def _known_profile(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        name = data.get("profile", DEFAULT_PROFILE)
        if name not in PROFILES and name not in (data.get("profiles") or {}):
            known = ", ".join(sorted({*PROFILES, *(data.get("profiles") or {})}))
            raise ValidationError(UNKNOWN_PROFILE.format(name=name, known=known), field_name="profile")
