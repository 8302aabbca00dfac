"""The per-repository config file (`.github/incident-desk.yml` / `.gitlab/incident-desk.yml`).

One marshmallow schema is the single source of every default and its description. Loading
never fails: a bad key becomes a ConfigError naming it, and that key's default applies.
Pure: the caller reads the file; this module only looks at the text.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from incidents.profiles import DEFAULT_PROFILE, PROFILES, Profile, get_profile
from incidents.taxonomy import known_terms, normalize_term

# The commands of DESIGN's table; `commands.<name>` must name one of them.
COMMAND_NAMES = (
    "incident", "status", "severity", "component", "commander", "ops-lead", "comms", "timeline",
    "action", "caused-by", "fixed-by", "taxonomy", "postmortem", "close", "publish", "unpublish",
    "workaround", "blog", "help",
)

INVALID_YAML = "The file is not valid YAML: {error}"
NOT_A_MAPPING = "The file must be a mapping of keys to values, not {kind}."
NOT_A_TIMEZONE = "Not an IANA timezone name such as America/Bogota or UTC."
NOT_A_DURATION = "Not a duration: write seconds (3600) or units such as 1h, 30m, 1h30m."
DURATION_RANGE = "Must be between 1 minute and 7 days."
UNKNOWN_PROFILE = "Unknown profile {name!r}; use one of {known} or define it under `profiles`."
BUILTIN_PROFILE = "{name!r} is a built-in profile and cannot be redefined; pick another name."
DUPLICATE_COMPONENT = "Component id {id!r} is used more than once."
UNKNOWN_COMMAND = "Unknown command {name!r}; commands are: {known}."
BAD_TERM = "Not a taxonomy term: use UPPER_CASE words joined by underscores."


@dataclass(frozen=True)
class ConfigError:
    """One problem in the config file: where, what was written, and what is wrong."""

    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = f"`{self.path}`" if self.path else "The config file"
        if self.value is None:
            return f"{where}: {self.message}"
        value = repr(self.value)
        value = value if len(value) <= 80 else value[:79] + "…"
        return f"{where}: {self.message} (got {value})"


@dataclass(frozen=True)
class LabelsConfig:
    """Label names; None means the forge's default (`status::` on GitLab, `status: ` on GitHub)."""

    incident: str
    status_prefix: str | None
    severity_prefix: str | None
    component_prefix: str
    postmortem_complete: str | None
    postmortem_incomplete: str | None
    blog_draft: str
    private: str


@dataclass(frozen=True)
class Component:
    """An affected component; labels and the status page use its id."""

    id: str
    name: str
    description: str
    group: str | None


@dataclass(frozen=True)
class RemindersConfig:
    interval: timedelta


@dataclass(frozen=True)
class ActionsConfig:
    """None means "as the profile says"."""

    require_owner: bool | None
    require_due_date: bool | None


@dataclass(frozen=True)
class Allowed:
    """Who may do something: GitHub logins / GitLab usernames and teams (`org/team`, group path)."""

    allowed_users: tuple[str, ...]
    allowed_teams: tuple[str, ...]


@dataclass(frozen=True)
class BlogConfig:
    repository: str | None
    path: str
    template: str | None
    allowed_users: tuple[str, ...]
    allowed_teams: tuple[str, ...]


@dataclass(frozen=True)
class StatusPageConfig:
    enabled: bool
    slug: str | None
    title: str | None
    timezone: str | None
    repositories: tuple[str, ...]
    pages: tuple[str, ...] = ()  # other repositories' pages this repository agrees to appear on


@dataclass(frozen=True)
class RepoConfig:
    """A repository's validated Incident Desk settings."""

    profile: str
    profiles: Mapping[str, Mapping[str, Any]] = field(hash=False)
    timezone: str | None
    labels: LabelsConfig
    components: tuple[Component, ...]
    taxonomy: tuple[str, ...]
    reminders: RemindersConfig
    actions: ActionsConfig
    close_when_actions_done: bool
    blog: BlogConfig
    commands: Mapping[str, Allowed] = field(hash=False)
    status_page: StatusPageConfig

    def get_profile(self) -> Profile:
        """The repository's profile, custom or built in."""
        return get_profile(self.profile, self.profiles)

    def taxonomy_terms(self) -> frozenset[str]:
        """Built-in taxonomy terms plus this repository's own."""
        return known_terms(self.taxonomy)


# --- field helpers --------------------------------------------------------------------

def _d(text: str) -> dict[str, str]:
    return {"description": text}


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _validate_timezone(name: str | None) -> None:
    if name is not None and not is_timezone(name):
        raise ValidationError(NOT_A_TIMEZONE)


_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])", re.I)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """Seconds as a number, or units: `1h`, `30m`, `1h30m`, `2 hours`. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip(" ,"):
        raise ValueError(value)
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[unit[0].lower()] for n, unit in parts))


class Duration(fields.Field):
    """A duration written as seconds or with units; loads as a timedelta."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            duration = parse_duration(value)
        except (ValueError, OverflowError):
            raise ValidationError(NOT_A_DURATION) from None
        if not timedelta(minutes=1) <= duration <= timedelta(days=7):
            raise ValidationError(DURATION_RANGE)
        return duration


_LABEL = validate.Length(min=1, max=50)


def _names(description: str) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1)), load_default=list,
                       metadata=_d(description))


# --- schemas --------------------------------------------------------------------------

class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _label(default: str | None, description: str) -> fields.String:
    """A label name or prefix; None as default means "the platform's default"."""
    return fields.String(load_default=default, allow_none=default is None, validate=_LABEL,
                         metadata=_d(description))


class LabelsSchema(_Strict):
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

    @post_load
    def make(self, data, **kwargs):
        return LabelsConfig(**data)


class ComponentSchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"),
                       metadata=_d("Short id used in labels (`component: <id>`) and commands."))
    name = fields.String(load_default=None, allow_none=True, metadata=_d("Display name; defaults to the id."))
    description = fields.String(load_default="", metadata=_d("What the component is, shown on the status page."))
    group = fields.String(load_default=None, allow_none=True, metadata=_d("Status-page group the component is listed under."))

    @post_load
    def make(self, data, **kwargs):
        return Component(id=data["id"], name=data["name"] or data["id"],
                         description=data["description"], group=data["group"])


class RemindersSchema(_Strict):
    interval = Duration(load_default=lambda: timedelta(hours=1),
                        metadata=_d("How often to ask the commander for an update while unresolved (1m to 7d)."))

    @post_load
    def make(self, data, **kwargs):
        return RemindersConfig(**data)


class ActionsSchema(_Strict):
    require_owner = fields.Boolean(load_default=None, allow_none=True,
                                   metadata=_d("Every action item must name an @owner; default: as the profile says."))
    require_due_date = fields.Boolean(load_default=None, allow_none=True,
                                      metadata=_d("Every action item must have `due YYYY-MM-DD`; default: as the profile says."))

    @post_load
    def make(self, data, **kwargs):
        return ActionsConfig(**data)


class AllowedSchema(_Strict):
    allowed_users = _names("Users allowed to run the command.")
    allowed_teams = _names("Teams (`org/team-slug` or GitLab group path) allowed to run the command.")

    @post_load
    def make(self, data, **kwargs):
        return Allowed(tuple(data["allowed_users"]), tuple(data["allowed_teams"]))


class BlogSchema(_Strict):
    repository = fields.String(load_default=None, allow_none=True,
                               metadata=_d("Repository (owner/name or group/project) for blog drafts; none: post the draft as a comment."))
    path = fields.String(load_default="blog/{date}-{slug}.md", validate=validate.Length(min=1),
                         metadata=_d("Path of the draft in the blog repository; `{date}` and `{slug}` are filled in."))
    template = fields.String(load_default=None, allow_none=True,
                             metadata=_d("Path of a Jinja2 template for the draft; none: the built-in one."))
    allowed_users = _names("Users who may request a blog draft.")
    allowed_teams = _names("Teams who may request a blog draft.")

    @post_load
    def make(self, data, **kwargs):
        return BlogConfig(data["repository"], data["path"], data["template"],
                          tuple(data["allowed_users"]), tuple(data["allowed_teams"]))


_SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$")


class StatusPageSchema(_Strict):
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

    @post_load
    def make(self, data, **kwargs):
        return StatusPageConfig(data["enabled"], data["slug"], data["title"], data["timezone"],
                                tuple(data["repositories"]), tuple(data["pages"]))


class ProfileSchema(_Strict):
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


class RepoConfigSchema(_Strict):
    profile = fields.String(load_default=DEFAULT_PROFILE,
                            metadata=_d("Postmortem profile: timeline-rca-actions, impact-cause-solution-conclusion, full, or one under `profiles`."))
    profiles = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*$")),
                           values=fields.Nested(ProfileSchema), load_default=dict,
                           metadata=_d("Custom profiles by name."))
    timezone = fields.String(load_default=None, allow_none=True, validate=_validate_timezone,
                             metadata=_d("IANA timezone for timeline times without an offset; none: UTC, with a warning."))
    labels = _nested(LabelsSchema, "Label names.")
    components = fields.List(fields.Nested(ComponentSchema), load_default=list,
                             metadata=_d("Components that incidents can affect."))
    taxonomy = fields.List(fields.String(validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_ -]*$", error=BAD_TERM)),
                           load_default=list, metadata=_d("Extra taxonomy terms besides reference/001's."))
    reminders = _nested(RemindersSchema, "Reminders while an incident is unresolved.")
    actions = _nested(ActionsSchema, "Rules for action items, overriding the profile.")
    close_when_actions_done = fields.Boolean(load_default=False,
                                             metadata=_d("Close a resolved incident when its last action item is done."))
    blog = _nested(BlogSchema, "Blog-post drafts.")
    commands = fields.Dict(keys=fields.String(), values=fields.Nested(AllowedSchema), load_default=dict,
                           metadata=_d("Per command, who besides the default roles may run it."))
    status_page = _nested(StatusPageSchema, "The public status page.")

    @validates("commands")
    def _known_commands(self, value, **kwargs):
        unknown = sorted(set(value) - set(COMMAND_NAMES))
        if unknown:
            raise ValidationError(UNKNOWN_COMMAND.format(name=unknown[0], known=", ".join(COMMAND_NAMES)))

    @validates("components")
    def _unique_components(self, value, **kwargs):
        seen: set[str] = set()
        for component in value:
            if not isinstance(component, Component):
                continue  # invalid entries are reported by their own schema
            if component.id in seen:
                raise ValidationError(DUPLICATE_COMPONENT.format(id=component.id))
            seen.add(component.id)

    @validates("profiles")
    def _no_builtin_redefinition(self, value, **kwargs):
        for name in value:
            if name in PROFILES:
                raise ValidationError(BUILTIN_PROFILE.format(name=name))

    @validates_schema(skip_on_field_errors=False)
    def _known_profile(self, data, **kwargs):
        name = data.get("profile", DEFAULT_PROFILE)
        if name not in PROFILES and name not in (data.get("profiles") or {}):
            known = ", ".join(sorted({*PROFILES, *(data.get("profiles") or {})}))
            raise ValidationError(UNKNOWN_PROFILE.format(name=name, known=known), field_name="profile")

    @post_load
    def make(self, data, **kwargs):
        return RepoConfig(
            profile=data["profile"],
            profiles=MappingProxyType({name: MappingProxyType(spec) for name, spec in data["profiles"].items()}),
            timezone=data["timezone"],
            labels=data["labels"],
            components=tuple(data["components"]),
            taxonomy=tuple(normalize_term(term) for term in data["taxonomy"]),
            reminders=data["reminders"],
            actions=data["actions"],
            close_when_actions_done=data["close_when_actions_done"],
            blog=data["blog"],
            commands=MappingProxyType(dict(data["commands"])),
            status_page=data["status_page"],
        )


DEFAULT_CONFIG: RepoConfig = RepoConfigSchema().load({})


# --- loading --------------------------------------------------------------------------

def load_config(yaml_text: str | None) -> tuple[RepoConfig, list[ConfigError]]:
    """The config from a file's text, and its problems; bad keys fall back to their defaults."""
    if yaml_text is None or not yaml_text.strip():
        return DEFAULT_CONFIG, []
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        return DEFAULT_CONFIG, [ConfigError("", None, INVALID_YAML.format(error=_one_line(error)))]
    except RecursionError:
        return DEFAULT_CONFIG, [ConfigError("", None, INVALID_YAML.format(error="nested too deeply"))]
    if data is None:
        return DEFAULT_CONFIG, []
    if not isinstance(data, dict):
        return DEFAULT_CONFIG, [ConfigError("", None, NOT_A_MAPPING.format(kind=type(data).__name__))]
    return load_config_data(data)


def load_config_data(data: Mapping[str, Any]) -> tuple[RepoConfig, list[ConfigError]]:
    """Validate already-parsed config data; see load_config."""
    schema = RepoConfigSchema()
    data = copy.deepcopy(dict(data))
    try:
        return schema.load(data), []
    except ValidationError as error:
        problems = list(_flatten(error.messages, data, []))
    # Drop exactly the bad values and try again; if that is not enough, drop their whole keys.
    pruned = copy.deepcopy(data)
    for path, _value, _message in problems:
        _delete(pruned, path)
    pruned = _compact(pruned)
    bad_keys = {path[0] for path, _value, _message in problems if path}
    config = DEFAULT_CONFIG
    for attempt in (pruned, {k: v for k, v in pruned.items() if k not in bad_keys}):
        try:
            config = schema.load(attempt)
            break
        except ValidationError:
            continue
    return config, [ConfigError(_format_path(path), value, message) for path, value, message in problems]


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _flatten(messages: Any, data: Any, path: list) -> Any:
    """(path, value written, message) for each marshmallow error message."""
    if isinstance(messages, list):
        for message in messages:
            yield path, data, str(message)
        return
    for key, sub in messages.items():
        if key == "_schema":
            yield from _flatten(sub, data, path)
        elif key == "value" and isinstance(data, dict) and "value" not in data:
            yield from _flatten(sub, data, path)  # a Dict field's value: same place
        elif key == "key" and isinstance(data, dict) and "key" not in data:
            for message in sub if isinstance(sub, list) else [sub]:
                yield path, path[-1] if path else None, str(message)
        elif isinstance(data, dict) and key in data:
            yield from _flatten(sub, data[key], [*path, key])
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            yield from _flatten(sub, data[key], [*path, key])
        else:
            yield from _flatten(sub, None, [*path, key])


_GONE = object()


def _delete(data: Any, path: list) -> None:
    """Remove the value at path; when it is not there (a missing field), remove its parent.

    A bad field inside a list item removes the whole item: half a component is no component.
    """
    indexes = [position for position, key in enumerate(path) if isinstance(key, int)]
    if indexes:
        path = path[: indexes[-1] + 1]
    if not path:
        return
    parent = data
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        parent[last] = _GONE  # keep the other errors' indexes valid until all are deleted
    else:
        _delete(data, path[:-1])


def _compact(data: Any) -> Any:
    """Drop the list items _delete marked as gone."""
    if isinstance(data, dict):
        return {key: _compact(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_compact(item) for item in data if item is not _GONE]
    return data


def _format_path(path: list) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
