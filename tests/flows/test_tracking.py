"""The tracking table: export (CSV/JSON), report (mean/median, plot), and sync from the issues."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import text

from incident_desk.cli import cli, main
from incident_desk.cli.tracking import COLUMNS, indented_json
from incidents.model import Incident, Link, Severity, Status
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def seed(store):
    base = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    rows = [
        Incident("github", "acme/api", 1, "DB down", Status.RESOLVED, Severity.MAJOR_OUTAGE, ("api",), "alice",
                 reported_at=base, resolved_at=base + timedelta(hours=2), taxonomy="MISSING_ALERT",
                 ttd_seconds=600.0, ttf_seconds=7200.0, ttr_seconds=7800.0, open_actions=1),
        Incident("github", "acme/api", 2, "Slow search", Status.MONITORING, Severity.DEGRADED_PERFORMANCE,
                 ("api", "web"), "bob", reported_at=base + timedelta(days=31), ttd_seconds=1800.0),
        Incident("gitlab", "acme/web", 3, "Login loop", Status.RESOLVED, None, ("web",), "carol",
                 reported_at=base + timedelta(days=32), resolved_at=base + timedelta(days=32, minutes=30),
                 ttf_seconds=1800.0),
    ]
    for incident in rows:
        store.save_incident(incident)
    store.save_link(rows[0], Link("acme/api", 9, "fix", url="https://github.com/acme/api/pull/9"))
    store.save_link(rows[0], Link("acme/api", 7, "cause", url="https://github.com/acme/api/pull/7"))


def test_export_csv_has_one_row_per_incident_with_every_column(settings, store):
    seed(store)
    result = invoke("export")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0].keys()) == COLUMNS and len(rows) == 3
    first = rows[0]
    assert (first["repository"], first["number"], first["severity"], first["commander"]) == (
        "acme/api", "1", "major-outage", "alice")
    assert first["cause"] == "https://github.com/acme/api/pull/7" and first["fix"] == "https://github.com/acme/api/pull/9"
    assert (first["ttd"], first["ttf"], first["ttr"]) == ("10.0 minutes", "2.0 hours", "2.2 hours")
    assert first["ttr_seconds"] == "7800.0" and first["open_actions"] == "1" and first["taxonomy"] == "MISSING_ALERT"
    assert rows[1]["ttf"] == "unknown" and rows[1]["ttf_seconds"] == ""


def test_export_json_filters_by_date_and_repository(settings, store):
    seed(store)
    rows = json.loads(invoke("export", "--format", "json", "--since", "2026-11-01").output)
    assert [r["number"] for r in rows] == [2, 3]
    rows = json.loads(invoke("export", "--format", "json", "--repository", "acme/web").output)
    assert [r["number"] for r in rows] == [3]


def test_report_by_component_gives_mean_and_median(settings, store):
    seed(store)
    result = invoke("report", "--by", "component")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) == {"api", "web"}
    assert lines["api"].split()[1] == "2"
    assert "20.0 minutes" in lines["api"]  # mean TTD of 10 and 30 minutes


def test_report_plot_is_drawn(settings, store, tmp_path):
    seed(store)
    target = tmp_path / "times.png"
    result = invoke("report", "--by", "month", "--plot", str(target))
    assert result.exit_code == 0 and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2026-10" in result.output and "2026-11" in result.output


def test_report_plot_without_matplotlib_says_how_to_install_it(settings, store, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [plot] extra were not installed
    result = CliRunner().invoke(cli, ["report", "--plot", str(tmp_path / "times.png")])
    assert result.exit_code == 2 and "pip install 'incident-desk[plot]'" in result.output
    assert not (tmp_path / "times.png").exists()

    monkeypatch.setattr(sys, "argv", ["incident-desk", "report", "--plot", str(tmp_path / "times.png")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("incident-desk: error: ") and "pip install 'incident-desk[plot]'" in line


def test_report_rejects_other_plot_formats(settings, store):
    result = CliRunner().invoke(cli, ["report", "--plot", "times.pdf"])
    assert result.exit_code == 2


def test_sync_after_losing_the_store_restores_the_export(settings, store, client, redis_conn, fake_api, monkeypatch):
    github = FakeGitHub(fake_api, permissions={"alice": "write"})
    github.add_issue(REPO, 1, "Spelling error in the README file")
    github.add_pull(REPO, 4, "Tune the connection pool", merged_at="2026-11-20T13:30:00Z", sha="a" * 40)
    t0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident api errors"))
        run_worker(redis_conn)
        post_github(client, "issue_comment", github.comment_event(
            REPO, 2, "alice", "/caused-by #4\n/commander @alice\n/severity partial-outage"))
        run_worker(redis_conn)
        clock.move_to(t0 + timedelta(minutes=45))
        post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", "/status resolved done"))
        run_worker(redis_conn)
        github.issues[(REPO, 2)]["labels"].append("incident")  # the label search finds it
        before = json.loads(invoke("export", "--format", "json").output)

        with store.engine.begin() as conn:  # the database is lost
            for table in ("links", "follow_ups", "incidents"):
                conn.execute(text(f"DELETE FROM {table}"))
        assert json.loads(invoke("export", "--format", "json").output) == []

        fake_api.get(f"https://api.github.com:443/repos/{REPO}/issues",
                     json=[github.issue_json(REPO, 2)])
        result = invoke("sync", "--repository", REPO)
        assert result.exit_code == 0, result.output
    after = json.loads(invoke("export", "--format", "json").output)
    assert after == before
    assert before[0]["ttd"] == "30.0 minutes" and before[0]["cause"].endswith("/pull/4")


def test_export_and_report_import_only_what_they_use(settings, store, tmp_path):
    """No checker, forge or Alembic import for an export; matplotlib only to draw (whole-command speed, issue 15)."""
    seed(store)
    probe = ("import sys\nfrom incident_desk.cli import cli\n"
             "cli.main(sys.argv[1:], standalone_mode=False)\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'checks', 'forges', 'matplotlib'}),"
             " file=sys.stderr)\n")
    for args, expected in ((["export"], "[]"), (["report", "--by", "component"], "[]"),
                           (["report", "--plot", str(tmp_path / "t.png")], "['matplotlib']")):
        run = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True)
        assert run.stderr.strip().splitlines()[-1] == expected, args


def test_the_tracking_table_is_read_without_building_incidents(settings, store, monkeypatch):
    seed(store)
    monkeypatch.setattr("store.to_incident", lambda row: pytest.fail("an Incident built for the export"))
    rows = list(csv.DictReader(io.StringIO(invoke("export").output)))
    assert [r["number"] for r in rows] == ["1", "2", "3"]


@pytest.mark.parametrize("rows", [[], [{"a": 1, "b": None}], [
    {"title": 'Ünïcode "quoted"\nline', "n": 3, "f": 7800.0, "g": 1e16, "none": None, "t": True},
    {"title": "", "n": -1, "f": 0.1, "g": 123456.7, "none": None, "t": False}]])
def test_json_export_is_json_dumps_with_an_indent_of_two(rows):
    assert indented_json(rows) == json.dumps(rows, indent=2)
