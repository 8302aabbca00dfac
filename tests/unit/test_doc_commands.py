"""`incident-desk check` and `install-templates` through click's CliRunner."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from checks.rules import EMPTY_SECTION, TIMELINE_MISSING_TIMEZONE
from incident_desk.cli.docs import check, install_templates
from issue_templates.render import GITLAB_INCIDENT, GITLAB_MAINTENANCE, GITLAB_POSTMORTEM, postmortem_skeleton

DOCUMENTS = Path(__file__).parent.parent / "documents"
GOOD = str(DOCUMENTS / "filled-timeline-rca-actions.md")
FULL = str(DOCUMENTS / "filled-full.md")
ICSC = str(DOCUMENTS / "filled-impact-cause-solution-conclusion.md")


@pytest.fixture
def run():
    def invoke(command, *args):
        return CliRunner().invoke(command, list(args))
    return invoke


@pytest.fixture
def unfilled(tmp_path):
    path = tmp_path / "postmortem.md"
    path.write_text(postmortem_skeleton("timeline-rca-actions"))
    return str(path)


def test_clean_file_exits_0_and_prints_nothing(run):
    result = run(check, GOOD, "--timezone", "Europe/Berlin")
    assert result.exit_code == 0 and result.output == ""


def test_warnings_alone_exit_0(run):
    result = run(check, GOOD)
    assert result.exit_code == 0
    assert result.output == f"{GOOD}:7: warning timeline-missing-timezone {TIMELINE_MISSING_TIMEZONE}\n"


def test_errors_exit_1_linter_style(run, unfilled):
    result = run(check, GOOD, unfilled, "--timezone", "UTC")
    assert result.exit_code == 1
    headings = [n + 1 for n, line in enumerate(Path(unfilled).read_text().splitlines()) if line.startswith("## ")]
    sections = ["Timeline", "Root cause analysis", "Actions"]
    assert result.output.splitlines() == [
        f"{unfilled}:{line}: error empty-section {EMPTY_SECTION.format(section=section)}"
        for line, section in zip(headings, sections, strict=True)
    ]


def test_json_shape(run, unfilled):
    result = run(check, GOOD, unfilled, "--format", "json", "--timezone", "UTC")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [entry["file"] for entry in data] == [GOOD, unfilled]
    assert data[0]["findings"] == []
    assert data[1]["findings"][0] == {
        "code": "empty-section", "severity": "error", "section": "Timeline", "line": 1,
        "message": EMPTY_SECTION.format(section="Timeline")}


def test_profile_option(run):
    assert run(check, FULL, "--profile", "full", "--timezone", "America/New_York").exit_code == 0
    assert run(check, ICSC, "--profile", "impact-cause-solution-conclusion", "--timezone", "UTC").exit_code == 0
    result = run(check, ICSC, "--format", "json")  # the default profile wants Timeline, RCA, Actions
    assert result.exit_code == 1
    assert [(f["code"], f["section"]) for f in json.loads(result.output)[0]["findings"]] == [
        ("missing-section", "Timeline"), ("missing-section", "Actions")]  # its Cause counts as the RCA


def test_config_option_supplies_profile_and_timezone(run, tmp_path):
    config = tmp_path / "incident-desk.yml"
    config.write_text("profile: full\ntimezone: America/New_York\n")
    result = run(check, FULL, "--config", str(config))
    assert result.exit_code == 0 and result.output == ""


@pytest.mark.parametrize("args, message", [
    (["--profile", "nope"], "Unknown profile 'nope'"),
    (["--timezone", "Mars/Base"], "unknown timezone 'Mars/Base'"),
    (["missing.md"], "cannot read missing.md"),
    (["--config", "nowhere.yml"], "cannot read nowhere.yml"),
])
def test_usage_errors_exit_2_with_one_line(run, args, message):
    result = run(check, GOOD, *args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_bad_config_exits_2_naming_the_key(run, tmp_path):
    config = tmp_path / "incident-desk.yml"
    config.write_text("timezone: Nowhere/Land\n")
    result = run(check, GOOD, "--config", str(config))
    assert result.exit_code == 2 and "`timezone`" in result.output


def test_no_files_is_a_usage_error(run):
    assert run(check).exit_code == 2


def test_install_templates(run, tmp_path):
    (tmp_path / ".gitlab").mkdir()
    (tmp_path / ".gitlab/incident-desk.yml").write_text("profile: full\ncomponents: [{id: api, name: API}]\n")
    result = run(install_templates, "--platform", "gitlab", "--dest", str(tmp_path))
    assert result.exit_code == 0
    assert sorted(result.output.split()) == sorted(str(tmp_path / p) for p in (GITLAB_INCIDENT, GITLAB_POSTMORTEM,
                                                                               GITLAB_MAINTENANCE))
    assert "- [ ] API (api)" in (tmp_path / GITLAB_INCIDENT).read_text()
    assert "- [ ] API (api)" in (tmp_path / GITLAB_MAINTENANCE).read_text()
    assert (tmp_path / GITLAB_POSTMORTEM).read_text().endswith(postmortem_skeleton("full"))



def test_install_templates_sets_the_configs_own_label_names(run, tmp_path):
    (tmp_path / ".gitlab").mkdir()
    (tmp_path / ".gitlab/incident-desk.yml").write_text("labels: {incident: outage, maintenance: planned-work}\n")
    assert run(install_templates, "--platform", "gitlab", "--dest", str(tmp_path)).exit_code == 0
    assert '/label ~"planned-work"' in (tmp_path / GITLAB_MAINTENANCE).read_text()
    assert '/label ~"outage"' in (tmp_path / GITLAB_INCIDENT).read_text()

def test_install_templates_profile_option_and_errors(run, tmp_path):
    result = run(install_templates, "--platform", "github", "--dest", str(tmp_path),
                 "--profile", "impact-cause-solution-conclusion")
    assert result.exit_code == 0
    assert "## Conclusion" in (tmp_path / ".github/ISSUE_TEMPLATE/postmortem.md").read_text()
    assert run(install_templates, "--platform", "github", "--dest", str(tmp_path), "--profile", "x").exit_code == 2
    assert run(install_templates, "--platform", "bitbucket", "--dest", str(tmp_path)).exit_code == 2
