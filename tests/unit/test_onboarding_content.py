"""Issue 19: the labels the product uses, and the onboarding request's starter config."""
from __future__ import annotations

import re

from incidents.config import DEFAULT_CONFIG, load_config
from incidents.label_catalog import DESCRIPTION_LIMIT, product_labels
from incidents.labels import LabelScheme
from issue_templates.render import STARTER_CONFIG, onboarding_files

SETTING = re.compile(r"^# ([a-z_]+:.*|  .*)$")  # `# key: value` and its indented lines; prose starts upper-case


def test_every_label_once_with_a_colour_and_a_short_description():
    components = load_config("components:\n  - id: db\n  - id: API\n")[0].components
    specs = product_labels(LabelScheme.with_separator("::"), components)
    names = [spec.name for spec in specs]
    assert names[:5] == ["incident", "status::investigating", "status::identified", "status::monitoring",
                         "status::resolved"]
    assert {"severity::major-outage", "severity::operational", "component: db", "component: API",
            "postmortem::complete", "postmortem::incomplete", "blog-draft", "incident: private",
            "maintenance"} <= set(names)
    assert all(re.fullmatch(r"[0-9a-f]{6}", spec.colour) for spec in specs)
    assert all(0 < len(spec.description) <= DESCRIPTION_LIMIT for spec in specs)


def test_renamed_labels_are_used_and_a_name_given_twice_is_one_label():
    labels = load_config("labels:\n  incident: outage\n  maintenance: Outage\n")[0].labels
    names = [spec.name for spec in product_labels(LabelScheme.with_separator(": ", labels))]
    assert names.count("outage") == 1 and "Outage" not in names and "incident" not in names


def test_the_starter_config_uncommented_is_the_defaults():
    text = onboarding_files("github", ".github/incident-desk.yml")[".github/incident-desk.yml"]
    assert all(line.startswith("#") for line in text.splitlines() if line.strip())
    settings = "\n".join(m.group(1) for m in map(SETTING.match, text.splitlines()) if m)
    config, errors = load_config(settings)
    assert errors == []
    assert config.timezone == "America/Bogota" and [c.id for c in config.components] == ["api"]  # the examples
    for key in ("profile", "reminders", "close_when_actions_done", "labels", "status_page"):
        assert getattr(config, key) == getattr(DEFAULT_CONFIG, key), key
    assert STARTER_CONFIG.endswith("incident-desk.yml")


def test_the_onboarding_files_are_the_forges_incident_template_and_the_config():
    assert list(onboarding_files("gitlab", ".gitlab/incident-desk.yml")) == [
        ".gitlab/issue_templates/incident.md", ".gitlab/incident-desk.yml"]
