"""plan_incident: what reconciling an incident issue changes, computed from plain values (no forge, no store)."""
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from checks import review
from incidents.config import load_config
from incidents.forge_facts import ForgeFacts, MergeRequestSyntax
from incidents.labels import LabelScheme
from incidents.model import Incident, Link, Severity, Status
from incidents.reconcile import (
    CHECK_NOT_DUE,
    CHECK_RESULT,
    IMPACT_KEY,
    CheckPublication,
    Declaration,
    Seen,
    follow_up_issues,
    plan_checks,
    plan_impact_lines,
    plan_incident,
    with_impact_lines,
)
from incidents.summary import SUMMARY_MARKER

CONFIG, _ = load_config(None)
GITHUB_LIKE = ForgeFacts(MergeRequestSyntax("#", "pull request", True, False), body_limit=65_536,
                         command_prefix="/", web_host="github.com")
GITLAB_LIKE = ForgeFacts(MergeRequestSyntax("!", "merge request", False, True), body_limit=1_000_000,
                         command_prefix="/desk ", web_host="gitlab.example.com")
SCHEME = LabelScheme.with_separator(": ")
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
OPENED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FULL = (Path(__file__).parent.parent / "documents" / "filled-full.md").read_text()


@dataclass(frozen=True)
class Issue:
    repository: str = "acme/shop"
    number: int = 12
    title: str = "Checkout down"
    body: str = ""
    labels: tuple[str, ...] = ("incident",)
    url: str = "https://github.com/acme/shop/issues/12"
    created_at: datetime | None = OPENED
    confidential: bool = False
    state: str = "open"


def plan(issue=Issue(), known=None, links=(), declared_by="alice", facts=GITHUB_LIKE, config=CONFIG, **declared):
    document, findings = review(issue.body, config)
    return plan_incident(Seen(issue, document, findings, known, links),
                         Declaration("github", declared_by, **declared), config=config, scheme=SCHEME,
                         facts=facts, now=NOW)


def test_a_new_incident_is_saved_labelled_summarised_and_reminded():
    p = plan()
    assert p.incident.commander == p.incident.operations_lead == "alice"
    assert p.incident.status is Status.INVESTIGATING and p.incident.reported_at == OPENED and p.incident.tracking
    assert p.add_labels == ("status: investigating", "postmortem: incomplete") and p.remove_labels == ()
    assert p.save and p.summary.startswith(SUMMARY_MARKER)
    assert p.reminder_after == CONFIG.reminders.interval == timedelta(hours=1)
    assert p.follow_ups == () and p.impact_lines is None and p.checks == ()


def test_an_unchanged_incident_costs_no_write():
    first = plan(Issue(labels=("incident", "status: investigating", "postmortem: incomplete")))
    again = plan(Issue(labels=("incident", "status: investigating", "postmortem: incomplete")), known=first.incident)
    assert again.incident == first.incident and not again.save
    assert again.add_labels == () and again.remove_labels == () and again.reminder_after is None
    assert again.summary == first.summary


def test_no_creation_time_reports_now():
    assert plan(Issue(created_at=None)).incident.reported_at == NOW


def test_labels_win_and_the_one_of_a_kind_label_just_added_wins_over_the_old_one():
    issue = Issue(labels=("incident", "status: investigating", "status: identified", "severity: major outage"))
    p = plan(issue, labels_added=("status: identified",))
    assert p.incident.status is Status.IDENTIFIED and p.incident.severity is Severity.MAJOR_OUTAGE
    assert "status: investigating" in p.remove_labels and "status: identified" not in p.remove_labels
    assert SCHEME.severity(Severity.MAJOR_OUTAGE) in p.add_labels and "postmortem: incomplete" in p.add_labels


def test_a_complete_postmortem_is_labelled_complete():
    p = plan(Issue(body=FULL, labels=("incident", "postmortem: incomplete")))
    assert "postmortem: complete" in p.add_labels and p.remove_labels == ("postmortem: incomplete",)


def test_private_label_or_confidential_issue_makes_a_private_incident():
    assert plan(Issue(labels=("incident", "INCIDENT: Private"))).incident.private
    assert plan(Issue(confidential=True)).incident.private
    known = plan(Issue(confidential=True)).incident
    assert not plan(Issue(), known=known).incident.private  # the label went: public again


def test_the_installation_is_kept_and_updated():
    assert plan(installation_id=7).incident.installation_id == 7
    known = plan(installation_id=7).incident
    assert plan(known=known).incident.installation_id == 7  # an event without one keeps the stored one
    assert plan(known=known, installation_id=8).incident.installation_id == 8


def test_an_untracked_incident_is_declared_again_by_the_new_declarer():
    known = plan(declared_by="alice").incident.with_changes(tracking=False)
    p = plan(known=known, declared_by="bob")
    assert p.incident.commander == "bob" and p.incident.tracking and p.reminder_after is not None


def test_document_facts_are_stored_and_follow_ups_listed():
    p = plan(Issue(body=FULL))
    assert p.incident.open_actions == 2
    assert p.follow_ups == (("infra/runbooks", 12, "infra/runbooks#12"), ("infra/alerts", 7, "infra/alerts#7"))
    assert p.incident.ttd_seconds is not None  # the timeline's [impact-start] and [detected] tags
    assert "**Open action items:**" in p.summary


def test_follow_ups_need_a_repository_for_the_issue():
    document, _ = review(FULL, CONFIG)
    assert [f[:2] for f in follow_up_issues(document, "acme/shop")] == [("infra/runbooks", 12), ("infra/alerts", 7)]


def test_summary_speaks_the_forges_language():
    fix = Link("acme/shop", 34, "fix", url="https://h/34", title="Revert", merged_at=NOW)
    other = Link("acme/web", 5, "cause", url="https://h/5", title="Bump", merged_at=OPENED - timedelta(hours=1))
    known = plan().incident
    gh = plan(known=known, links=(fix, other))
    assert "[#34](https://h/34)" in gh.summary and "[acme/web#5](https://h/5)" in gh.summary
    gl = plan(known=known, links=(fix, other), facts=GITLAB_LIKE)
    assert "[!34](https://h/34)" in gl.summary and "`/desk status identified" in gl.summary
    assert gh.incident.ttd_seconds == 3600  # the cause merged an hour before the issue was opened
    tiny = plan(known=known, facts=replace(GITHUB_LIKE, body_limit=300))
    assert len(tiny.summary) < 300 and tiny.summary.endswith("… (cut)\n")


def test_impact_lines_follow_only_where_the_markers_are():
    assert plan(Issue(body=FULL)).impact_lines is None  # no markers: nothing written
    stale = with_impact_lines(FULL, CONFIG, ["- old line"])
    assert IMPACT_KEY in stale
    lines = plan(Issue(body=stale)).impact_lines
    assert lines and "- old line" not in lines
    current = with_impact_lines(stale, CONFIG, lines)
    assert plan(Issue(body=current)).impact_lines is None  # already current: no write


def test_plan_impact_lines_without_a_body():
    assert plan_impact_lines(None, CONFIG, None) is None  # no markers: the metrics are not even read


def incident(status=Status.INVESTIGATING):
    return Incident("github", "acme/shop", 12, "Checkout down", status=status)


@dataclass
class Finding:
    code: str
    severity: str
    message: str = "m"


def test_checks_are_neutral_until_resolved_then_pass_or_fail():
    link = Link("acme/shop", 34, "fix", head_sha="abc")
    [neutral] = plan_checks(incident(), [link], [Finding("c", "error")])
    assert neutral == CheckPublication(replace(link, check_state=f"neutral|{CHECK_NOT_DUE.format(ref='acme/shop#12')}"),
                                       "abc", "neutral", CHECK_NOT_DUE.format(ref="acme/shop#12"), "- error `c`: m")
    [failure] = plan_checks(incident(Status.RESOLVED), [link], [Finding("c", "error"), Finding("w", "warning")])
    assert failure.conclusion == "failure"
    assert failure.title == CHECK_RESULT.format(ref="acme/shop#12", errors=1, warnings=1)
    [success] = plan_checks(incident(Status.RESOLVED), [link], [])
    assert success.conclusion == "success" and success.text == "No findings."


def test_checks_only_where_there_is_a_head_and_something_changed():
    published = plan_checks(incident(), [Link("acme/shop", 34, "fix", head_sha="abc")], [])[0].link
    assert plan_checks(incident(), [published, Link("acme/shop", 35, "fix")], []) == ()


def test_the_plan_carries_the_checks_of_the_stored_links():
    link = Link("acme/shop", 34, "fix", head_sha="abc")
    [check] = plan(known=plan().incident, links=(link,)).checks
    assert check.link.number == 34 and check.conclusion == "neutral"


def test_an_incident_closed_before_and_open_now_is_closed_no_more():
    closed = Incident(platform="github", repository="acme/shop", number=12, title="Checkout down", tracking=True,
                      commander="alice", closed_at=NOW - timedelta(hours=1), forced_close=True)
    assert plan(known=closed).incident.closed_at is None  # reopened by hand
    assert plan(replace(Issue(), state="closed"), known=closed).incident.closed_at == closed.closed_at
    assert plan(known=closed).incident.forced_close  # what the forced close accepted stays accepted
