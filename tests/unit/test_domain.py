"""Pure rules: labels, summary comment, escaping, retry timing."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from forges.errors import ForgeError, TransientForgeError, classify, retry_after_from_headers
from forges.github import GitHubForge
from incidents.labels import LabelScheme
from incidents.model import Incident, Severity, Status, parse_severity
from incidents.summary import SUMMARY_MARKER, render_summary
from incidents.text import escape
from worker.retry import retry_delay

GITHUB, GITLAB = LabelScheme.with_separator(": "), LabelScheme.with_separator("::")
GITHUB_BODY_LIMIT = GitHubForge.body_limit  # the smallest forge limit: the summary is cut to the forge's own


@pytest.mark.parametrize("text", ["major-outage", "major outage", "major_outage", "Major Outage"])
def test_severity_spellings(text):
    assert parse_severity(text) is Severity.MAJOR_OUTAGE


def test_label_names_per_forge():
    assert GITHUB.status(Status.IDENTIFIED) == "status: identified"
    assert GITLAB.status(Status.IDENTIFIED) == "status::identified"
    assert GITLAB.component("api") == GITHUB.component("api") == "component: api"


def test_labels_read_back_into_state():
    labels = ["incident", "status::monitoring", "severity::partial outage", "component: api", "component: web"]
    assert GITLAB.status_of(labels) is Status.MONITORING
    assert GITLAB.severity_of(labels) is Severity.PARTIAL_OUTAGE
    assert GITLAB.components_of(labels) == ("api", "web")
    assert GITHUB.status_of(["status: nonsense"]) is None
    assert GITHUB.status_of(["status: identified", "status: resolved"]) is None  # ambiguous


def incident(**changes):
    return Incident(platform="github", repository="o/r", number=12, title="DB down", commander="alice",
                    operations_lead="alice").with_changes(**changes)


def test_summary_is_stable_and_in_the_fixed_order():
    text = render_summary(incident(severity=Severity.MAJOR_OUTAGE, components=("api",)))
    assert text == render_summary(incident(severity=Severity.MAJOR_OUTAGE, components=("api",)))
    assert text.startswith(SUMMARY_MARKER)
    order = [text.index(part) for part in ("**Status:**", "**Severity:**", "**Components:**", "**Commander:**",
                                           "**Next step:**")]
    assert order == sorted(order)


def test_summary_escapes_the_title_and_shows_gitlab_commands():
    text = render_summary(incident(title="@everyone <script>x</script> **bold**"), command_prefix="/desk ")
    assert "@everyone" not in text and "<script>" not in text
    assert "`/desk status identified" in text


@dataclass
class Finding:
    code: str
    severity: str
    section: str
    line: int
    message: str


def test_summary_lists_findings_errors_first():
    findings = [Finding("missing-taxonomy", "warning", "Conclusion", 1, "w"),
                Finding("empty-section", "error", "Timeline", 9, "Timeline is empty")]
    text = render_summary(incident(), findings)
    assert text.index("empty-section") < text.index("missing-taxonomy")
    assert "(Timeline): Timeline is empty" in text


def test_long_finding_lists_are_cut_with_a_count_under_the_limit():
    findings = [Finding("empty-section", "error", "Timeline", n, "x" * 2000) for n in range(200)]
    text = render_summary(incident(), findings, body_limit=GITHUB_BODY_LIMIT)
    assert "… and 150 more" in text
    assert len(text) < GITHUB_BODY_LIMIT


def test_escape_stops_mentions_and_markup():
    assert "@\u200dalice" in escape("ping @alice")
    assert escape("<b>") == "\\<b\\>"
    assert len(escape("y" * 1000, limit=50)) <= 50


def test_retry_after_header_and_reset_headers():
    assert retry_after_from_headers({"Retry-After": "30"}) == 30
    assert retry_after_from_headers({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1100"}, now=1000) == 100
    assert retry_after_from_headers({"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1100"}, now=1000) is None
    assert retry_after_from_headers(None) is None


def test_classify_transient_and_permanent_errors():
    assert isinstance(classify(502, {}, "x"), TransientForgeError)
    assert isinstance(classify(None, {}, "connection reset"), TransientForgeError)
    limited = classify(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999999"}, "x")
    assert isinstance(limited, TransientForgeError) and limited.retry_after > 0
    permanent = classify(404, {}, "x")
    assert type(permanent) is ForgeError and permanent.status == 404


def test_retry_delay_backs_off_but_never_sooner_than_asked():
    assert 2 <= retry_delay(1, None, 2) <= 2.5
    assert 16 <= retry_delay(4, None, 2) <= 20
    assert retry_delay(1, 120, 2) == 120
