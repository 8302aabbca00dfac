"""Issue templates and postmortem skeletons: rendered per platform, profile and components."""
import pytest
import yaml

from incidents.config_model import Component
from incidents.document import parse_document
from incidents.profiles import PROFILES, get_profile
from issue_templates.render import (
    GITHUB_FORM,
    GITHUB_MAINTENANCE,
    GITHUB_POSTMORTEM,
    GITLAB_INCIDENT,
    GITLAB_POSTMORTEM,
    install_templates,
    postmortem_skeleton,
    render_templates,
)

# The GitHub form's dropdown, written out in its YAML (issue_templates/github/ISSUE_TEMPLATE/incident.yml).
SEVERITIES = ("major outage", "partial outage", "degraded performance", "operational")
COMPONENTS = [Component("platform", "Platform", "The app and its API", None),
              Component("docs", "docs", "", None),
              {"id": "web", "name": 'Web: "homepage"'}]


def test_github_issue_form():
    form = yaml.safe_load(render_templates("github", "timeline-rca-actions", COMPONENTS)[GITHUB_FORM])
    assert form["title"] == "[Incident] " and form["labels"] == ["incident"]
    by_id = {element.get("id"): element for element in form["body"]}
    assert by_id["what-went-wrong"]["attributes"]["label"] == "What went wrong"
    assert by_id["how-detected"]["type"] == "textarea"
    assert by_id["severity"]["type"] == "dropdown"
    assert by_id["severity"]["attributes"]["options"] == list(SEVERITIES)
    assert [o["label"] for o in by_id["components"]["attributes"]["options"]] == [
        "Platform (platform)", "docs", 'Web: "homepage" (web)']  # YAML-escaped, not broken


def test_github_form_without_components_has_no_empty_checkboxes():
    form = yaml.safe_load(render_templates("github", "full", [])[GITHUB_FORM])
    assert "components" not in {element.get("id") for element in form["body"]}


def test_gitlab_incident_template():
    text = render_templates("gitlab", "full", COMPONENTS, incident_label="outage")[GITLAB_INCIDENT]
    for heading in ("### What went wrong", "### How was it detected?", "### Severity", "### Affected components"):
        assert heading in text
    assert "- [ ] partial-outage" in text and "- [ ] Platform (platform)" in text
    assert text.rstrip().endswith('/label ~"outage"')
    assert "/desk status identified" in text  # GitLab users are shown the /desk form


def test_gitlab_issue_form_shape_parses_like_github():
    text = render_templates("gitlab", "full", COMPONENTS)[GITLAB_INCIDENT]
    ticked = text.replace("- [ ] partial-outage", "- [x] partial-outage")
    doc = parse_document(ticked, PROFILES["timeline-rca-actions"])
    assert doc.sections["Severity"].checked == ("partial-outage",)
    assert doc.sections["What went wrong"].is_placeholder


@pytest.mark.parametrize("platform, path", [("github", GITHUB_POSTMORTEM), ("gitlab", GITLAB_POSTMORTEM)])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_postmortem_templates_hold_the_profile_skeleton(platform, path, profile):
    text = render_templates(platform, profile)[path]
    assert text.endswith(postmortem_skeleton(profile))
    doc = parse_document(text, PROFILES[profile])
    assert list(doc.sections) == list(PROFILES[profile].required)  # front matter / quick action not a section
    assert all(section.is_placeholder for section in doc.sections.values())


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_skeleton_examples_stay_inside_comments(name):
    doc = parse_document(postmortem_skeleton(name), PROFILES[name], "UTC")
    assert (doc.timeline, doc.unparsed_timeline, doc.whys, doc.actions, doc.taxonomy) == ((), (), (), (), None)
    assert "- [ ]" in postmortem_skeleton(name) or name == "impact-cause-solution-conclusion"  # examples exist


def test_custom_profile_skeleton():
    profile = get_profile("mine", {"mine": {"required": ["What happened", "Timeline"]}})
    skeleton = postmortem_skeleton(profile)
    assert "## What happened" in skeleton and "## Timeline" in skeleton
    doc = parse_document(skeleton, profile)
    assert all(section.is_placeholder for section in doc.sections.values())


def test_install_writes_files(tmp_path):
    written = install_templates("github", tmp_path, "full", COMPONENTS)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted([GITHUB_FORM, GITHUB_POSTMORTEM,
                                                                                     GITHUB_MAINTENANCE])
    assert (tmp_path / GITHUB_POSTMORTEM).read_text().endswith(postmortem_skeleton("full"))


def test_unknown_platform():
    with pytest.raises(ValueError):
        render_templates("bitbucket")


def test_a_renamed_maintenance_label_is_the_one_the_maintenance_templates_set():
    """`labels.maintenance: planned-work`: the bot knows maintenance issues by that label, so the templates set it."""
    github = yaml.safe_load(render_templates("github", maintenance_label="planned-work")[GITHUB_MAINTENANCE])
    assert github["labels"] == ["planned-work"]
    assert "remove the `planned-work` label" in " ".join(github["body"][0]["attributes"]["value"].split())
    gitlab = render_templates("gitlab", maintenance_label="planned-work")[".gitlab/issue_templates/maintenance.md"]
    assert '/label ~"planned-work"' in gitlab and "remove the `planned-work` label" in gitlab
