"""The repository config: a table of valid and invalid files and the errors they give."""
from datetime import timedelta

import pytest

from incidents.config import DEFAULT_CONFIG, load_config
from incidents.config_schema import UNKNOWN_PROFILE, RepoConfigSchema, parse_duration
from incidents.labels import LabelScheme
from incidents.profiles import PROFILES


def test_defaults():
    config, errors = load_config(None)
    assert errors == [] and config is DEFAULT_CONFIG
    assert config.profile == "timeline-rca-actions" and config.timezone is None
    assert config.reminders.interval == timedelta(hours=1)
    assert config.close_when_actions_done is False
    assert config.labels.incident == "incident" and config.labels.blog_draft == "blog-draft"
    assert config.get_profile() is PROFILES["timeline-rca-actions"]


def test_every_field_has_a_default_and_description():
    def walk(schema):
        for name, field in schema.fields.items():
            assert field.metadata.get("description"), name
            assert field.required or field.load_default is not None or field.allow_none, name
            inner = getattr(field, "nested", None) or getattr(getattr(field, "inner", None), "nested", None) \
                or getattr(getattr(field, "value_field", None), "nested", None)
            if inner is not None:
                walk(inner() if isinstance(inner, type) else inner)
    walk(RepoConfigSchema())


def test_labels_per_platform():
    gitlab = LabelScheme.with_separator("::", DEFAULT_CONFIG.labels)
    github = LabelScheme.with_separator(": ", DEFAULT_CONFIG.labels)
    assert (gitlab.status_prefix, gitlab.postmortem_incomplete) == ("status::", "postmortem::incomplete")
    assert (github.status_prefix, github.postmortem_complete) == ("status: ", "postmortem: complete")
    assert github.component_prefix == gitlab.component_prefix == "component: "


def test_full_valid_config():
    config, errors = load_config("""
profile: security
profiles:
  security:
    required: [Summary, Timeline, Root cause, Corrective actions]
    aliases: {Summary: [TL;DR]}
    min_whys: 0
    require_due_date: true
timezone: America/Bogota
labels: {incident: outage, status_prefix: "state/"}
components:
  - {id: platform, name: Platform, description: The app and its API, group: Core}
  - {id: docs}
taxonomy: [our_own_term]
reminders: {interval: 30m}
actions: {require_owner: false}
close_when_actions_done: true
blog: {repository: acme/blog, path: "posts/{date}-{slug}.md", allowed_users: [cto]}
commands:
  status: {allowed_users: [oncall-bot-friend], allowed_teams: [acme/sre]}
status_page: {enabled: true, slug: acme, title: Acme status, timezone: UTC, repositories: [acme/web]}
""")
    assert errors == []
    profile = config.get_profile()
    assert profile.required == ("Summary", "Timeline", "Root cause", "Corrective actions")
    assert profile.canonical("TL;DR") == "Summary" and profile.require_due_date and profile.min_whys == 0
    assert config.timezone == "America/Bogota"
    assert config.labels.incident == "outage"
    assert LabelScheme.with_separator(": ", config.labels).status_prefix == "state/"
    assert [c.id for c in config.components] == ["platform", "docs"]
    assert config.components[1].name == "docs" and config.components[0].group == "Core"
    assert config.taxonomy == ("OUR_OWN_TERM",) and "OUR_OWN_TERM" in config.taxonomy_terms()
    assert config.reminders.interval == timedelta(minutes=30)
    assert config.actions.require_owner is False and config.actions.require_due_date is None
    assert config.blog.repository == "acme/blog" and config.blog.allowed_users == ("cto",)
    assert config.commands["status"].allowed_teams == ("acme/sre",)
    assert config.status_page.enabled and config.status_page.repositories == ("acme/web",)


@pytest.mark.parametrize("text, path, value, fragment", [
    ("timezone: Mars/Olympus", "timezone", "Mars/Olympus", "IANA"),
    ("profile: nope", "profile", "nope", "Unknown profile"),
    ("labels: {incident: 5}", "labels.incident", 5, "Not a valid string"),
    ("labels: {colour: red}", "labels.colour", "red", "Unknown field"),
    ("reminders: {interval: soon}", "reminders.interval", "soon", "Not a duration"),
    ("reminders: {interval: 10s}", "reminders.interval", "10s", "between 1 minute and 7 days"),
    ("components: [{name: No id}]", "components[0].id", None, "Missing data"),
    ("components: [{id: a}, {id: a}]", "components", [{"id": "a"}, {"id": "a"}], "more than once"),
    ("commands: {stauts: {allowed_users: [x]}}", "commands", {"stauts": {"allowed_users": ["x"]}},
     "Unknown command 'stauts'"),
    ("profiles: {full: {required: [X]}}", "profiles", {"full": {"required": ["X"]}}, "built-in profile"),
    ("profiles: {mine: {required: []}}", "profiles.mine.required", [], "Shorter than minimum"),
    ("close_when_actions_done: maybe", "close_when_actions_done", "maybe", "Not a valid boolean"),
    ("status_page: {slug: Not A Slug}", "status_page.slug", "Not A Slug", "String does not match"),
    ("typo_key: 1", "typo_key", 1, "Unknown field"),
])
def test_invalid_configs_name_the_key(text, path, value, fragment):
    config, errors = load_config(text)
    assert [(e.path, e.value) for e in errors] == [(path, value)]
    assert fragment in errors[0].message
    assert f"`{path}`" in str(errors[0])
    assert config == DEFAULT_CONFIG  # the bad part falls back to its default


def test_good_keys_survive_a_bad_neighbour():
    config, errors = load_config("timezone: UTC\nlabels: {incident: 5, blog_draft: write-up}\nprofile: full")
    assert [e.path for e in errors] == ["labels.incident"]
    assert config.timezone == "UTC" and config.profile == "full"
    assert config.labels.blog_draft == "write-up" and config.labels.incident == "incident"


def test_one_bad_component_keeps_the_others():
    config, errors = load_config("components: [{id: web}, {id: 'bad id!'}, {id: api}]")
    assert [e.path for e in errors] == ["components[1].id"]
    assert [c.id for c in config.components] == ["web", "api"]


@pytest.mark.parametrize("text, message", [
    ("a: [1, 2", "not valid YAML"),
    ("- just\n- a list", "must be a mapping"),
])
def test_unreadable_files(text, message):
    config, errors = load_config(text)
    assert config is DEFAULT_CONFIG and len(errors) == 1 and message in errors[0].message
    assert errors[0].path == ""


def test_unknown_profile_message_lists_custom_profiles():
    _, errors = load_config("profile: other\nprofiles: {mine: {required: [Timeline]}}")
    assert errors[0].message == UNKNOWN_PROFILE.format(
        name="other", known="full, impact-cause-solution-conclusion, mine, timeline-rca-actions")


@pytest.mark.parametrize("value, seconds", [(3600, 3600), ("90", 90), ("1h", 3600), ("30m", 1800),
                                            ("1h30m", 5400), ("2 hours", 7200), ("1d", 86400)])
def test_durations(value, seconds):
    assert parse_duration(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["", "h", "1 fortnight", "1h and more", True])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)
