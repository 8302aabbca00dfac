"""Similar past incidents end to end (issue 18, item 4): a declared incident's summary lists the past incidents of its
repository group with the same taxonomy, and the Recurrence warning comes and goes as the body names them."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from checks.rules import RECURRENCE_NOT_CHECKED
from incident_desk.cli import cli
from incidents.model import Incident, Status
from incidents.similar import HEADING
from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"
FULL = (Path(__file__).parent.parent / "documents" / "filled-full.md").read_text()
UNNAMED = "No earlier incident had this root cause."
BODY = FULL.replace("## Root cause\n", "## Root cause\n\nTaxonomy: FAILED_MIGRATION < MISSING_TEST\n\n")
BASE = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def past(repository, number, title, taxonomy, components=(), days=0, **more):
    return Incident("github", repository, number, title, Status.RESOLVED, components=components, taxonomy=taxonomy,
                    reported_at=BASE + timedelta(days=days), url=f"https://github.com/{repository}/issues/{number}",
                    **more)


PAST = [
    past(REPO, 11, "Orders table locked by a migration", "FAILED_MIGRATION", ttr_seconds=5400.0, open_actions=1,
         done_actions=2, root_cause="A migration locked the orders table.", days=1),
    past(REPO, 12, "Search index rebuild broke queries", "FAILED_MIGRATION < MISSING_TEST", ttr_seconds=1800.0,
         done_actions=2, days=2),
    past("Codertocat/billing", 7, "Billing columns dropped too early", "FAILED_MIGRATION", days=3),
    past(REPO, 13, "CDN certificate expired", "ROTATION_FAILURE", ("cdn",), days=4),  # unrelated
    past("someone-else/api", 3, "Their migration failed", "FAILED_MIGRATION", days=5),  # another group
]


@pytest.fixture
def github(fake_api, store):
    for incident in PAST:
        store.save_incident(incident)
    fake = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): "profile: full\ntimezone: UTC\n"})
    fake.add_issue(REPO, 20, "Node upgrade broke the build queue", BODY, labels=["incident"])
    return fake


def summary(github):
    return [c for c in github.bot_comments(REPO, 20) if c.startswith(SUMMARY_MARKER)][-1]


def test_the_summary_lists_the_similar_ones_and_the_warning_goes_once_recurrence_names_one(client, redis_conn,
                                                                                          store, github):
    post_github(client, "issues", github.issues_event(REPO, 20, "opened", "alice"))
    run_worker(redis_conn)
    text = summary(github)
    similar = text[text.index(HEADING):].split("\n\n")[0].splitlines()[1:]
    assert similar == [
        "- [#12](https://github.com/Codertocat/Hello-World/issues/12) Search index rebuild broke queries · "
        "TTR 30.0 minutes · corrective actions: all 2 done (taxonomy `FAILED_MIGRATION < MISSING_TEST`)",
        "- [Codertocat/billing#7](https://github.com/Codertocat/billing/issues/7) Billing columns dropped too early · "
        "TTR not recorded · corrective actions: none recorded (taxonomy `FAILED_MIGRATION`)",
        "- [#11](https://github.com/Codertocat/Hello-World/issues/11) Orders table locked by a migration · "
        "TTR 1.5 hours · corrective actions: 2 of 3 done (taxonomy `FAILED_MIGRATION`)",
    ]
    assert "#13" not in text and "someone-else" not in text
    warning = RECURRENCE_NOT_CHECKED.format(refs="#12, Codertocat/billing#7, #11")
    assert f"`recurrence-not-checked` (Recurrence): {warning}" in text
    stored = store.get_incident("github", REPO, 20)
    assert stored.root_cause.startswith("The upgrade runbook lets") and (stored.open_actions, stored.done_actions) \
        == (2, 1)

    body = github.issues[(REPO, 20)]["body"]
    github.issues[(REPO, 20)]["body"] = body.replace(UNNAMED, "Like #11, a migration nobody rehearsed.")
    post_github(client, "issues", github.issues_event(REPO, 20, "edited", "alice"))
    run_worker(redis_conn)
    text = summary(github)
    assert "recurrence-not-checked" not in text and HEADING in text


def export_of(store, tmp_path, output):
    for incident in PAST:
        store.save_incident(incident.with_changes(url=incident.url))
    result = CliRunner().invoke(cli, ["export", "--format", output], catch_exceptions=False)
    path = tmp_path / f"history.{output}"
    path.write_text(result.output)
    return str(path)


@pytest.mark.parametrize("output", ["csv", "json"])
def test_check_with_history_warns_until_the_recurrence_section_names_one(settings, store, tmp_path, output):
    history = export_of(store, tmp_path, output)
    unnamed, named = tmp_path / "unnamed.md", tmp_path / "named.md"
    unnamed.write_text(BODY)
    named.write_text(BODY.replace(UNNAMED, "Same as https://github.com/Codertocat/Hello-World/issues/12."))
    result = CliRunner().invoke(cli, ["check", "--profile", "full", "--timezone", "UTC", "--history", history,
                                      "--format", "json", str(unnamed), str(named)])
    assert result.exit_code == 0, result.output
    found = {Path(entry["file"]).name: [f for f in entry["findings"] if f["code"] == "recurrence-not-checked"]
             for entry in json.loads(result.output)}
    refs = "Codertocat/Hello-World#12, someone-else/api#3, Codertocat/billing#7"  # ties: the newest first
    assert [f["message"] for f in found["unnamed.md"]] == [RECURRENCE_NOT_CHECKED.format(refs=refs)]
    assert found["named.md"] == []


def test_check_without_history_has_no_recurrence_warning_and_a_bad_history_is_a_usage_error(tmp_path):
    document = tmp_path / "postmortem.md"
    document.write_text(BODY)
    result = CliRunner().invoke(cli, ["check", "--profile", "full", "--timezone", "UTC", str(document)])
    assert result.exit_code == 0 and "recurrence-not-checked" not in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('[{"title": "no repository"}]')
    result = CliRunner().invoke(cli, ["check", "--history", str(bad), str(document)])
    assert result.exit_code == 2 and "is not an `incident-desk export`" in result.output


def test_the_group_query_keeps_to_the_group_and_the_platform(store):
    for incident in PAST:
        store.save_incident(incident)
    store.save_incident(Incident("gitlab", "Codertocat/Hello-World", 99, "elsewhere"))
    store.save_incident(Incident("github", "Codertocat_x/y", 98, "a LIKE wildcard is not a wildcard"))
    found = [(i.repository, i.number) for i in store.group_incidents("github", "Codertocat")]
    assert found == [("Codertocat/Hello-World", 13), ("Codertocat/billing", 7), ("Codertocat/Hello-World", 12),
                     ("Codertocat/Hello-World", 11)]
