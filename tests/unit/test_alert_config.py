"""`alerts:` in the repository config (issue 17): defaults, a full valid section, and each bad value named
with its key while the good ones around it survive."""
from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.config import DEFAULT_CONFIG, load_config
from incidents.config_model import AlertsConfig
from incidents.config_schema import RepoConfigSchema
from incidents.config_schema_alerts import AlertsSchema


def test_the_defaults_are_the_model_s():
    assert DEFAULT_CONFIG.alerts == AlertsConfig()
    alerts = DEFAULT_CONFIG.alerts
    assert alerts.on_resolved == "comment" and alerts.reopen_within == timedelta(hours=1)
    assert (alerts.severity_label, alerts.component_label) == ("severity", "service")
    assert dict(alerts.severity_map) == {"critical": "major-outage", "error": "partial-outage",
                                         "warning": "degraded-performance"}
    assert dict(alerts.urgency_map) == {"high": "major-outage", "low": "degraded-performance"}
    config, errors = load_config("alerts: {}")
    assert errors == [] and config == DEFAULT_CONFIG


def test_every_alerts_field_is_described():
    schema = RepoConfigSchema()
    assert schema.fields["alerts"].metadata["description"]
    for name, field in AlertsSchema().fields.items():
        assert field.metadata.get("description"), name
        assert field.load_default is not None, name


def test_a_full_alerts_section():
    config, errors = load_config("""
alerts:
  on_resolved: monitoring
  reopen_within: 2h30m
  severity_label: priority
  severity_map: {P1: major outage, P2: PARTIAL_OUTAGE, P3: degraded-performance, info: operational}
  urgency_map: {high: partial-outage}
  component_label: app
""")
    assert errors == []
    assert config.alerts == AlertsConfig(
        on_resolved="monitoring", reopen_within=timedelta(hours=2, minutes=30), severity_label="priority",
        severity_map={"P1": "major-outage", "P2": "partial-outage", "P3": "degraded-performance",
                      "info": "operational"},
        urgency_map={"high": "partial-outage"}, component_label="app")
    assert dict(config.alerts.urgency_map) == {"high": "partial-outage"}  # a map given replaces the default
    with pytest.raises(TypeError):
        config.alerts.severity_map["P4"] = "operational"  # type: ignore[index]  # a loaded config never changes


@pytest.mark.parametrize("value, expected", [
    ("resolved", "resolved"), ("comment", "comment"), ("monitoring", "monitoring")])
def test_on_resolved_values(value, expected):
    config, errors = load_config(f"alerts: {{on_resolved: {value}}}")
    assert errors == [] and config.alerts.on_resolved == expected


@pytest.mark.parametrize("value, expected", [
    (600, timedelta(minutes=10)), ("90m", timedelta(minutes=90)), ("1 day", timedelta(days=1)),
    ("7d", timedelta(days=7))])
def test_reopen_within_takes_durations_as_reminders_do(value, expected):
    config, errors = load_config(f"alerts: {{reopen_within: {value}}}")
    assert errors == [] and config.alerts.reopen_within == expected


@pytest.mark.parametrize("text, path, value, fragment", [
    ("alerts: {on_resolved: close}", "alerts.on_resolved", "close",
     "Must be one of comment (a comment only), monitoring or resolved"),
    ("alerts: {reopen_within: soon}", "alerts.reopen_within", "soon", "Not a duration"),
    ("alerts: {reopen_within: 30s}", "alerts.reopen_within", "30s", "Must be between 1 minute and 7 days."),
    ("alerts: {reopen_within: 8d}", "alerts.reopen_within", "8d", "Must be between 1 minute and 7 days."),
    ("alerts: {severity_label: 'alert severity'}", "alerts.severity_label", "alert severity",
     "Not an alert label name"),
    ("alerts: {component_label: 1service}", "alerts.component_label", "1service", "Not an alert label name"),
    ("alerts: {severity_map: {critical: catastrophic}}", "alerts.severity_map.critical", "catastrophic",
     "Not a severity; use one of major-outage, partial-outage, degraded-performance, operational."),
    ("alerts: {severity_map: [critical]}", "alerts.severity_map", ["critical"], "Not a valid mapping"),
    ("alerts: {urgency_map: {medium: major-outage}}", "alerts.urgency_map.medium", "medium",
     "Not a PagerDuty urgency; use high or low."),
    ("alerts: {urgency_map: {high: bad}}", "alerts.urgency_map.high", "bad", "Not a severity"),
    ("alerts: {on_resolve: comment}", "alerts.on_resolve", "comment", "Unknown field"),
    ("alerts: on", "alerts", True, "Invalid input type"),
])
def test_each_bad_value_is_named(text, path, value, fragment):
    config, errors = load_config(text)
    assert [(error.path, error.value) for error in errors] == [(path, value)]
    assert fragment in errors[0].message
    if path.count(".") == 2:  # a map's entry: that entry is dropped, and the map holds what else was written
        assert dict(getattr(config.alerts, path.split(".")[1])) == {}
    else:
        assert config.alerts == AlertsConfig()  # the key's default applies


def test_the_good_values_around_a_bad_one_survive():
    config, errors = load_config("""
alerts:
  on_resolved: resolved
  reopen_within: forever
  severity_map: {critical: major-outage, minor: tiny}
  urgency_map: {high: partial-outage, medium: nonsense}
""")
    assert sorted(error.path for error in errors) == [
        "alerts.reopen_within", "alerts.severity_map.minor", "alerts.urgency_map.medium",
        "alerts.urgency_map.medium"]  # the urgency's key and its severity are both wrong: two messages
    assert config.alerts.on_resolved == "resolved"
    assert config.alerts.reopen_within == timedelta(hours=1)
    assert dict(config.alerts.severity_map) == {"critical": "major-outage"}
    assert dict(config.alerts.urgency_map) == {"high": "partial-outage"}  # one bad entry, not the whole map


def test_a_bad_alerts_section_leaves_the_rest_of_the_file_alone():
    config, errors = load_config("reminders: {interval: 30m}\nalerts: {on_resolved: later}")
    assert [error.path for error in errors] == ["alerts.on_resolved"]
    assert config.reminders.interval == timedelta(minutes=30)
