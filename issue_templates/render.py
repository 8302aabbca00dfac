"""Render the issue templates and postmortem skeletons for a repository, and install them."""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from incidents.labels import MAINTENANCE_LABEL
from incidents.profiles import DEFAULT_PROFILE, PROFILES, Profile, get_profile

GITLAB_SEVERITIES = ("major-outage", "partial-outage", "degraded-performance", "operational")

# Installed path -> packaged source, per platform.
GITHUB_FORM = ".github/ISSUE_TEMPLATE/incident.yml"
GITHUB_POSTMORTEM = ".github/ISSUE_TEMPLATE/postmortem.md"
GITLAB_INCIDENT = ".gitlab/issue_templates/incident.md"
GITLAB_POSTMORTEM = ".gitlab/issue_templates/postmortem.md"
GITHUB_MAINTENANCE = ".github/ISSUE_TEMPLATE/maintenance.yml"
GITLAB_MAINTENANCE = ".gitlab/issue_templates/maintenance.md"

POSTMORTEM_FRONT_MATTER = {
    "name": "Incident postmortem",
    "about": "Write up an incident after it is resolved.",
    "title": "[Incident] ",
    "labels": ["incident"],
}
GENERIC_GUIDANCE = "<!-- Write the {section} here. -->"

# jinja2 and yaml are imported by the functions that render templates: `incident-desk check` needs only the
# skeletons, and its start-up is part of what a person waits for (issue 15).


@functools.cache
def _jinja():
    from jinja2 import Environment, StrictUndefined

    return Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)


def _source(relative: str) -> str:
    return resources.files("issue_templates").joinpath(relative).read_text(encoding="utf-8")


def postmortem_skeleton(profile: str | Profile = DEFAULT_PROFILE) -> str:
    """The empty postmortem for a profile: its headings, each with guidance in an HTML comment."""
    if isinstance(profile, str):
        profile = get_profile(profile)
    if PROFILES.get(profile.name) == profile:
        return _source(f"postmortem/{profile.name}.md")
    # A custom profile: its headings with a short generic hint, still a placeholder when unchanged.
    parts = [f"## {name}\n\n{GENERIC_GUIDANCE.format(section=name.lower())}\n" for name in profile.required]
    return "\n".join(parts)


def _component_label(component: Any) -> str:
    """`Name (id)`, or just the id when the name is the id; the id is what labels use."""
    cid, name = _get(component, "id"), _get(component, "name") or _get(component, "id")
    return cid if name == cid else f"{name} ({cid})"


def _get(component: Any, key: str) -> Any:
    return component.get(key) if isinstance(component, Mapping) else getattr(component, key, None)


@functools.cache
def _form_dumper():
    """A YAML dumper that writes multi-line strings as `|` blocks so the form stays readable."""
    import yaml

    class FormDumper(yaml.SafeDumper):
        pass

    FormDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))
    return FormDumper


def _github_form(components: Iterable[Any], incident_label: str, source: str = "incident.yml") -> str:
    import yaml

    form = yaml.safe_load(_source(f"github/ISSUE_TEMPLATE/{source}"))
    named = f"`{form['labels'][0]}` label"  # the guidance names the label: the repository's own name there too
    form["labels"] = [incident_label]
    labels = [_component_label(c) for c in components]
    body = []
    for element in form["body"]:
        if element.get("type") == "markdown":
            element["attributes"]["value"] = element["attributes"]["value"].replace(named, f"`{incident_label}` label")
        if element.get("id") == "components":
            if not labels:
                continue  # GitHub rejects a checkboxes field without options
            element["attributes"]["options"] = [{"label": label} for label in labels]
        body.append(element)
    form["body"] = body
    header = "# Installed by `incident-desk install-templates`; affected components come from the config.\n"
    return header + yaml.dump(form, Dumper=_form_dumper(), sort_keys=False, allow_unicode=True, width=100)


def _github_postmortem(profile: Profile, incident_label: str) -> str:
    import yaml

    front = dict(POSTMORTEM_FRONT_MATTER, labels=[incident_label])
    front_matter = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    return "---\n" + front_matter + "---\n\n" + postmortem_skeleton(profile)


def _gitlab_incident(components: Iterable[Any], incident_label: str) -> str:
    template = _jinja().from_string(_source("gitlab/issue_templates/incident.md"))
    return template.render(
        severities=GITLAB_SEVERITIES,
        components=[{"label": _component_label(c)} for c in components],
        incident_label=incident_label,
    )


def _gitlab_maintenance(components: Iterable[Any], maintenance_label: str) -> str:
    template = _jinja().from_string(_source("gitlab/issue_templates/maintenance.md"))
    return template.render(components=[{"label": _component_label(c)} for c in components],
                           maintenance_label=maintenance_label)


def _gitlab_postmortem(profile: Profile, incident_label: str) -> str:
    # The quick action goes first: GitLab removes it on creation, and before the first heading
    # it never counts as content of a section.
    return f'/label ~"{incident_label}"\n\n' + postmortem_skeleton(profile)


def render_templates(
    platform: str,
    profile: str | Profile = DEFAULT_PROFILE,
    components: Iterable[Any] = (),
    incident_label: str = "incident",
    maintenance_label: str = MAINTENANCE_LABEL,
) -> dict[str, str]:
    """Relative path in a repository -> file text, for the platform's issue templates (with the repository's
    own names for the incident and maintenance labels, which is how the bot knows those issues)."""
    if platform not in TEMPLATES:
        raise ValueError(f"Unknown platform {platform!r}; use github or gitlab.")
    if isinstance(profile, str):
        profile = get_profile(profile)
    components = list(components)
    return TEMPLATES[platform](components, profile, incident_label, maintenance_label)


def _github_templates(components: list, profile: Profile, incident_label: str,
                      maintenance_label: str) -> dict[str, str]:
    return {GITHUB_FORM: _github_form(components, incident_label),
            GITHUB_POSTMORTEM: _github_postmortem(profile, incident_label),
            GITHUB_MAINTENANCE: _github_form(components, maintenance_label, "maintenance.yml")}


def _gitlab_templates(components: list, profile: Profile, incident_label: str,
                      maintenance_label: str) -> dict[str, str]:
    return {GITLAB_INCIDENT: _gitlab_incident(components, incident_label),
            GITLAB_POSTMORTEM: _gitlab_postmortem(profile, incident_label),
            GITLAB_MAINTENANCE: _gitlab_maintenance(components, maintenance_label)}


# Each forge's own template files (an issue form on GitHub, a description template on GitLab).
TEMPLATES = {"github": _github_templates, "gitlab": _gitlab_templates}
PLATFORMS = tuple(TEMPLATES)


def install_templates(
    platform: str,
    dest: Path,
    profile: str | Profile = DEFAULT_PROFILE,
    components: Iterable[Any] = (),
    incident_label: str = "incident",
    maintenance_label: str = MAINTENANCE_LABEL,
) -> list[Path]:
    """Write the rendered templates under `dest` (a repository checkout); returns the paths written."""
    written = []
    for relative, text in render_templates(platform, profile, components, incident_label, maintenance_label).items():
        path = Path(dest) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# Issue 19: the onboarding pull/merge request adds the incident template and a commented starter config.
INCIDENT_TEMPLATES = {"github": GITHUB_FORM, "gitlab": GITLAB_INCIDENT}
STARTER_CONFIG = "onboarding/incident-desk.yml"


def onboarding_files(platform: str, config_path: str, components: Iterable[Any] = (),
                     incident_label: str = "incident") -> dict[str, str]:
    """Relative path -> text of what the onboarding pull/merge request adds: the incident issue template and
    the config file, every key commented out at its default."""
    template = INCIDENT_TEMPLATES[platform]
    return {template: render_templates(platform, DEFAULT_PROFILE, components, incident_label)[template],
            config_path: _source(STARTER_CONFIG)}
