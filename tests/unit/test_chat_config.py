"""`slack:` and `notifications:` in the repository config (issue 16): defaults, a full valid file, and each bad
value named with its key while the good ones around it survive."""
from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.config import DEFAULT_CONFIG, load_config
from incidents.config_model import ANNOUNCED, NotificationRule, SlackConfig
from incidents.config_schema import RepoConfigSchema


def test_defaults_say_nothing_about_chat():
    assert DEFAULT_CONFIG.slack == SlackConfig(users={}, announce_channel=None, archive_after=None)
    assert DEFAULT_CONFIG.notifications == ()
    config, errors = load_config("slack: {}\nnotifications: []")
    assert errors == [] and config == DEFAULT_CONFIG


def test_a_full_chat_config():
    config, errors = load_config("""
slack:
  users:
    U012AB3CD: alice
    W0ENTERPRISE: "@bob"
    Carol.Smith@Example.com: carol-s
  announce_channel: "#incident-sre"
  archive_after: 2 days
notifications:
  - {target: teams, events: [declared, resolved], min_severity: major outage}
  - {target: discord}
  - {target: ops.matrix, events: [status], min_severity: PARTIAL_OUTAGE}
""")
    assert errors == []
    assert dict(config.slack.users) == {"U012AB3CD": "alice", "W0ENTERPRISE": "bob",
                                        "carol.smith@example.com": "carol-s"}
    assert config.slack.announce_channel == "#incident-sre"
    assert config.slack.archive_after == timedelta(days=2)
    assert config.notifications == (
        NotificationRule("teams", ("declared", "resolved"), "major-outage"),
        NotificationRule("discord", ANNOUNCED, None),
        NotificationRule("ops.matrix", ("status",), "partial-outage"),
    )
    with pytest.raises(TypeError):
        config.slack.users["U9"] = "mallory"  # type: ignore[index]  # a loaded config never changes


@pytest.mark.parametrize("value, expected", [
    ("never", None), ("Never", None), ("90m", timedelta(minutes=90)), (3600, timedelta(hours=1)),
    ("30d", timedelta(days=30)), ("365d", timedelta(days=365)),
])
def test_archive_after_takes_durations_as_reminders_do_or_never(value, expected):
    config, errors = load_config(f"slack: {{archive_after: {value}}}")
    assert errors == [] and config.slack.archive_after == expected


def test_a_channel_id_is_an_announcement_channel_too():
    config, errors = load_config("slack: {announce_channel: C024BE91L}")
    assert errors == [] and config.slack.announce_channel == "C024BE91L"


@pytest.mark.parametrize("text, path, value, fragment", [
    ("slack: {users: {bob: alice}}", "slack.users.bob", "bob", "Not a Slack user id"),
    ("slack: {users: {U012AB3CD: 'two words'}}", "slack.users.U012AB3CD", "two words", "Not a forge login"),
    ("slack: {users: [alice]}", "slack.users", ["alice"], "Not a valid mapping"),
    ("slack: {announce_channel: incident-sre}", "slack.announce_channel", "incident-sre", "Not a Slack channel"),
    ("slack: {announce_channel: '#Incident SRE'}", "slack.announce_channel", "#Incident SRE", "Not a Slack channel"),
    ("slack: {archive_after: soon}", "slack.archive_after", "soon", "Not a duration"),
    ("slack: {archive_after: 400d}", "slack.archive_after", "400d", "`never` or between 1 minute and 365 days"),
    ("slack: {channel: x}", "slack.channel", "x", "Unknown field"),
    ("slack: on", "slack", True, "Invalid input type"),
    ("notifications: {target: teams}", "notifications", {"target": "teams"}, "Not a valid list"),
    ("notifications: [{events: [status]}]", "notifications[0].target", None, "Missing data"),
    ("notifications: [{target: 'my teams'}]", "notifications[0].target", "my teams", "Not a target name"),
    ("notifications: [{target: t, events: [opened]}]", "notifications[0].events[0]", "opened",
     "Unknown event 'opened'; events are: declared, status, severity, resolved, closed, published, maintenance."),
    ("notifications: [{target: t, min_severity: bad}]", "notifications[0].min_severity", "bad",
     "Not a severity; use one of major-outage, partial-outage, degraded-performance, operational."),
    ("notifications: [{target: t, url: 'msteams://secret'}]", "notifications[0].url", "msteams://secret",
     "Unknown field"),
])
def test_bad_chat_values_name_their_key(text, path, value, fragment):
    config, errors = load_config(text)
    assert [(e.path, e.value) for e in errors] == [(path, value)]
    assert fragment in errors[0].message
    assert f"`{path}`" in str(errors[0])


def test_good_chat_values_survive_bad_neighbours():
    config, errors = load_config("""
slack:
  users: {U012AB3CD: alice, nobody: bob, U0CAROL: "carol smith"}
  announce_channel: "#incident-sre"
notifications:
  - {target: teams, events: [declared, opened]}
  - {target: "bad name"}
  - {target: discord, min_severity: worst}
  - {target: ntfy, min_severity: degraded performance}
""")
    assert [e.path for e in errors] == ["slack.users.nobody", "slack.users.U0CAROL", "notifications[0].events[1]",
                                        "notifications[1].target", "notifications[2].min_severity"]
    assert dict(config.slack.users) == {"U012AB3CD": "alice"}
    assert config.slack.announce_channel == "#incident-sre"
    assert config.notifications == (NotificationRule("teams", ("declared",)),
                                    NotificationRule("ntfy", ANNOUNCED, "degraded-performance"))


def test_every_chat_field_is_described():
    schema = RepoConfigSchema()
    for name in ("slack", "notifications"):
        assert schema.fields[name].metadata["description"]
    slack = schema.fields["slack"].nested
    notification = schema.fields["notifications"].inner.nested
    for nested in (slack, notification):
        for name, field in (nested() if isinstance(nested, type) else nested).fields.items():
            assert field.metadata.get("description"), name
