"""TTD, TTF and TTR: the elapsed-time writer at every boundary, the moments and their sources,
and hand-calculated incidents (DESIGN "Metrics", "Settled details"; reference/000-001)."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from incidents.document import parse_document
from incidents.metrics import (
    Metrics,
    Moment,
    compute_metrics,
    format_elapsed,
    format_timestamp,
    impact_lines,
    render_metrics,
    utc_offset_name,
)
from incidents.profiles import PROFILES

UTC = UTC
BOGOTA = "America/Bogota"
DOCUMENTS = Path(__file__).parent.parent / "documents"


@dataclass(frozen=True)
class Entry:
    """A timeline entry as the metrics read it (incidents.timeline.TimelineEntry has more)."""

    at: datetime | None
    tag: str | None
    text: str = ""


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def bogota(*args):
    """A Bogota wall-clock time (UTC-5 all year) as the UTC instant events carry."""
    return datetime(*args, tzinfo=timezone(timedelta(hours=-5))).astimezone(UTC)


# --- format_elapsed ------------------------------------------------------------------------

@pytest.mark.parametrize("seconds, text", [
    (0, "0.0 minutes"),
    (2550, "42.5 minutes"),                   # reference example
    (3596, "59.9 minutes"),                   # 59.93 minutes
    (59 * 60 + 56.99, "59.9 minutes"),        # just under the tie
    (59 * 60 + 57, "1.0 hours"),              # 59.95 minutes rounds half-up to 60.0: hours
    (3600, "1.0 hours"),                      # exactly 1 hour
    (3.2 * 3600, "3.2 hours"),
    (23.94 * 3600, "23.9 hours"),
    (23 * 3600 + 56 * 60 + 59, "23.9 hours"),  # 23.9497 hours
    (23 * 3600 + 57 * 60, "1.0 days"),        # 23.95 hours rounds to 24.0: days
    (86399, "1.0 days"),
    (86400, "1.0 days"),                      # exactly 1 day
    (1.5 * 86400, "1.5 days"),                # reference example
    (5 * 86400 + 7 * 3600, "5.3 days"),       # several days: 5.29
    (29 * 86400, "29.0 days"),
    (45 * 86400, "45.0 days"),                # past a month: still days
    (400 * 86400 + 43200, "400.5 days"),
])
def test_elapsed_boundaries(seconds, text):
    assert format_elapsed(seconds) == text


def test_elapsed_accepts_timedelta_and_decimal_exactly():
    assert format_elapsed(timedelta(minutes=59, seconds=57)) == "1.0 hours"
    assert format_elapsed(timedelta(minutes=59, seconds=56, microseconds=999_999)) == "59.9 minutes"
    assert format_elapsed(timedelta(hours=23, minutes=57)) == "1.0 days"
    assert format_elapsed(timedelta(days=1)) == "1.0 days"
    assert format_elapsed(Decimal("3597")) == "1.0 hours"
    assert format_elapsed(Decimal("86220")) == "1.0 days"
    # half-up, not banker's rounding: 0.25 minutes and 0.35 minutes both round up
    assert format_elapsed(Decimal("15")) == "0.3 minutes"
    assert format_elapsed(Decimal("21")) == "0.4 minutes"


def test_elapsed_rounds_half_up_on_decimal_not_binary_float():
    # 23.95 * 3600 in binary floating point is not exactly 86220; the writer must still say days.
    assert format_elapsed(23.95 * 3600) == "1.0 days"
    # 1.05 hours: a binary float of 1.05 is below the tie, the Decimal of 3780 s is on it.
    assert format_elapsed(3780) == "1.1 hours"
    assert format_elapsed(3780.0) == "1.1 hours"


@pytest.mark.parametrize("value", [None, -1, -0.001, timedelta(seconds=-5), Decimal("-3600"),
                                   float("nan"), float("inf"), "3600"])
def test_elapsed_unknown_never_a_wrong_number(value):
    assert format_elapsed(value) == "unknown"


def test_elapsed_past_a_month_is_documented():
    assert "month" in format_elapsed.__doc__ and "days" in format_elapsed.__doc__


# --- timestamps and offsets ------------------------------------------------------------------

def test_timestamp_in_repository_zone():
    at = utc(2026, 11, 20, 14, 14)
    assert format_timestamp(at, BOGOTA) == "26-11-20 09:14"
    assert format_timestamp(at, None) == "26-11-20 14:14"
    assert format_timestamp(at, "Asia/Kolkata") == "26-11-20 19:44"
    # the day changes with the zone
    assert format_timestamp(utc(2026, 11, 21, 3, 0), BOGOTA) == "26-11-20 22:00"
    assert format_timestamp(None, BOGOTA) == "unknown"


def test_timestamp_naive_is_utc_and_unknown_zone_is_utc():
    assert format_timestamp(datetime(2026, 11, 20, 14, 14), BOGOTA) == "26-11-20 09:14"
    assert format_timestamp(utc(2026, 11, 20, 14, 14), "Not/AZone") == "26-11-20 14:14"
    assert utc_offset_name("Not/AZone", utc(2026, 11, 20)) == "UTC"


def test_offset_names():
    winter, summer = utc(2026, 1, 15, 12), utc(2026, 7, 15, 12)
    assert utc_offset_name(BOGOTA, winter) == "UTC-5"
    assert utc_offset_name("Asia/Kolkata", winter) == "UTC+5:30"
    assert utc_offset_name("America/St_Johns", winter) == "UTC-3:30"
    assert utc_offset_name(None, winter) == "UTC"
    assert utc_offset_name("UTC", summer) == "UTC"
    assert utc_offset_name("America/New_York", winter) == "UTC-5"
    assert utc_offset_name("America/New_York", summer) == "UTC-4"
    # without a moment: a fixed-offset zone is named, a DST zone is not guessed
    assert utc_offset_name(BOGOTA, None) == "UTC-5"
    assert utc_offset_name("America/New_York", None) == "America/New_York"


# --- compute_metrics: definitions, sources, precedence ------------------------------------------

def test_realistic_incident_in_bogota_matches_hand_calculation():
    # Cause !34 merged 09:14, issue opened 09:52, resolved 13:40 (Bogota, UTC-5).
    # TTD = 38 min -> 38.0 minutes; TTF = 3 h 48 min = 3.8 h; TTR = 4 h 26 min = 4.433 h -> 4.4 hours.
    metrics = compute_metrics(
        cause_merged_at=bogota(2026, 11, 20, 9, 14), cause_ref="!34",
        reported_at=bogota(2026, 11, 20, 9, 52), resolved_at=bogota(2026, 11, 20, 13, 40),
    )
    assert (metrics.ttd, metrics.ttf, metrics.ttr) == (38 * 60, 3 * 3600 + 48 * 60, 4 * 3600 + 26 * 60)
    assert (metrics.ttd_text, metrics.ttf_text, metrics.ttr_text) == ("38.0 minutes", "3.8 hours", "4.4 hours")
    assert metrics.impact_start == Moment(bogota(2026, 11, 20, 9, 14), "cause merged (!34)")
    assert metrics.reported == Moment(bogota(2026, 11, 20, 9, 52), "issue opened")
    assert metrics.resolved == Moment(bogota(2026, 11, 20, 13, 40), "status resolved")
    assert impact_lines(metrics, BOGOTA).split("\n") == [
        "at UTC-5 [1] 26-11-20 09:14 to [2] 26-11-20 13:40 (resolve time: no fix merge request linked)"
        " | Time to recover was 4.4 hours",
        "at UTC-5 [1] 26-11-20 09:52 | Time to detect was 38.0 minutes",
        "at UTC-5 [1] 26-11-20 09:52 to [2] 26-11-20 13:40 | Time to fix was 3.8 hours",
    ]
    assert render_metrics(metrics, BOGOTA) == [
        "- **TTD** 38.0 minutes (cause merged (!34) 26-11-20 09:14 UTC-5 → issue opened 26-11-20 09:52 UTC-5)",
        "- **TTF** 3.8 hours (issue opened 26-11-20 09:52 UTC-5 → status resolved 26-11-20 13:40 UTC-5)",
        "- **TTR** 4.4 hours (cause merged (!34) 26-11-20 09:14 UTC-5 → status resolved 26-11-20 13:40 UTC-5)",
    ]


def test_multi_day_incident_across_midnight_in_bogota():
    # Cause merged Fri 2026-11-20 22:30, reported Sat 02:06 (3 h 36 min = 3.6 hours),
    # resolved Mon 2026-11-23 10:06 (2 days 8 h = 56 h = 2.33 days -> 2.3 days; TTR 59 h 36 min = 2.48 -> 2.5 days).
    metrics = compute_metrics(
        cause_merged_at=bogota(2026, 11, 20, 22, 30), cause_ref="group/app!7",
        reported_at=bogota(2026, 11, 21, 2, 6), resolved_at=bogota(2026, 11, 23, 10, 6),
    )
    assert (metrics.ttd_text, metrics.ttf_text, metrics.ttr_text) == ("3.6 hours", "2.3 days", "2.5 days")
    assert impact_lines(metrics, BOGOTA).split("\n")[0] == (
        "at UTC-5 [1] 26-11-20 22:30 to [2] 26-11-23 10:06 (resolve time: no fix merge request linked)"
        " | Time to recover was 2.5 days")


def test_impact_line_two_is_the_fixing_merge_request_as_reference_000_defines_it():
    """issue 13 item 21: `[2]` is the date of the merge request that fixed the incident; TTR still runs
    from the impact start to the resolve time (DESIGN "Metrics")."""
    metrics = compute_metrics(
        cause_merged_at=bogota(2026, 11, 20, 9, 14), cause_ref="!34",
        reported_at=bogota(2026, 11, 20, 9, 52), resolved_at=bogota(2026, 11, 20, 13, 40),
        fix_merged_at=bogota(2026, 11, 20, 12, 55), fix_ref="!35",
    )
    assert metrics.fix_merged == Moment(bogota(2026, 11, 20, 12, 55), "fix merged (!35)")
    assert impact_lines(metrics, BOGOTA).split("\n") == [
        "at UTC-5 [1] 26-11-20 09:14 to [2] 26-11-20 12:55 | Time to recover was 4.4 hours",
        "at UTC-5 [1] 26-11-20 09:52 | Time to detect was 38.0 minutes",
        "at UTC-5 [1] 26-11-20 09:52 to [2] 26-11-20 13:40 | Time to fix was 3.8 hours",
    ]
    unresolved = compute_metrics(cause_merged_at=None, cause_ref=None, reported_at=bogota(2026, 11, 20, 9, 52),
                                 resolved_at=None)
    assert impact_lines(unresolved, BOGOTA).split("\n")[0] == (
        "at UTC-5 [1] unknown to [2] unknown (resolve time: no fix merge request linked)"
        " | Time to recover was unknown")


def test_incident_metrics_takes_the_last_merged_fix_and_skips_unmerged_ones():
    """issue 13 item 21: the incident is fixed when its last fix merged; an open fix is no date yet."""
    from incidents.metrics import incident_metrics
    from incidents.model import Incident, Link

    incident = Incident(platform="github", repository="acme/api", number=2, title="api errors",
                        reported_at=bogota(2026, 11, 20, 9, 52), resolved_at=bogota(2026, 11, 20, 13, 40))
    links = [Link("acme/api", 35, "fix", "text", "u", "revert", bogota(2026, 11, 20, 10, 30), None),
             Link("acme/api", 36, "fix", "text", "u", "raise limit", bogota(2026, 11, 20, 12, 55), None),
             Link("acme/api", 37, "fix", "text", "u", "docs", None, None)]
    metrics = incident_metrics(incident, links, ref_of=lambda link: f"#{link.number}")
    assert metrics.fix_merged == Moment(bogota(2026, 11, 20, 12, 55), "fix merged (#36)")


def test_tags_take_precedence_over_issue_events_earliest_tag_wins():
    timeline = [
        Entry(bogota(2026, 11, 20, 8, 0), "impact-start"),
        Entry(bogota(2026, 11, 20, 8, 30), "impact-start"),  # later duplicate: ignored
        Entry(bogota(2026, 11, 20, 9, 5), "detected"),
        Entry(bogota(2026, 11, 20, 11, 0), "mitigated"),
        Entry(bogota(2026, 11, 20, 12, 0), "resolved"),
        Entry(bogota(2026, 11, 20, 12, 30), None),
    ]
    metrics = compute_metrics(
        cause_merged_at=bogota(2026, 11, 20, 9, 14), cause_ref="!34",
        reported_at=bogota(2026, 11, 20, 9, 52), resolved_at=bogota(2026, 11, 20, 13, 40),
        timeline=list(reversed(timeline)),  # order in the list does not matter, the time does
    )
    assert metrics.impact_start == Moment(bogota(2026, 11, 20, 8, 0), "timeline tag [impact-start]")
    assert metrics.reported == Moment(bogota(2026, 11, 20, 9, 5), "timeline tag [detected]")
    assert metrics.resolved == Moment(bogota(2026, 11, 20, 12, 0), "timeline tag [resolved]")
    assert metrics.mitigated == Moment(bogota(2026, 11, 20, 11, 0), "timeline tag [mitigated]")
    assert (metrics.ttd_text, metrics.ttf_text, metrics.ttr_text) == ("1.1 hours", "2.9 hours", "4.0 hours")
    assert render_metrics(metrics, BOGOTA)[0] == (
        r"- **TTD** 1.1 hours (timeline tag \[impact-start\] 26-11-20 08:00 UTC-5 → "
        r"timeline tag \[detected\] 26-11-20 09:05 UTC-5)")


def test_each_tag_replaces_only_its_own_event():
    metrics = compute_metrics(
        cause_merged_at=utc(2026, 11, 20, 14, 0), cause_ref="!34",
        reported_at=utc(2026, 11, 20, 15, 0), resolved_at=utc(2026, 11, 20, 18, 0),
        timeline=[Entry(utc(2026, 11, 20, 14, 45), "detected"), Entry(None, "resolved")],
    )
    assert metrics.impact_start.source == "cause merged (!34)"
    assert metrics.reported == Moment(utc(2026, 11, 20, 14, 45), "timeline tag [detected]")
    assert metrics.resolved.source == "status resolved"  # a tag without a time stands for nothing
    assert (metrics.ttd, metrics.ttf, metrics.ttr) == (45 * 60, 3.25 * 3600, 4 * 3600)


def test_tag_stands_in_for_a_missing_event():
    metrics = compute_metrics(
        cause_merged_at=None, cause_ref=None, reported_at=utc(2026, 11, 20, 15, 0), resolved_at=None,
        timeline=[Entry(utc(2026, 11, 20, 12, 0), "impact-start"), Entry(utc(2026, 11, 20, 16, 0), "resolved")],
    )
    assert (metrics.ttd_text, metrics.ttf_text, metrics.ttr_text) == ("3.0 hours", "1.0 hours", "4.0 hours")
    assert metrics.resolved.source == "timeline tag [resolved]"


def test_missing_inputs_are_unknown_not_guessed():
    # No cause linked and not resolved yet: only the report time is known.
    metrics = compute_metrics(cause_merged_at=None, cause_ref=None,
                              reported_at=bogota(2026, 11, 20, 9, 52), resolved_at=None)
    assert (metrics.ttd, metrics.ttf, metrics.ttr) == (None, None, None)
    assert (metrics.ttd_text, metrics.ttf_text, metrics.ttr_text) == ("unknown", "unknown", "unknown")
    assert metrics.impact_start == Moment(None, "unknown")
    assert metrics.resolved == Moment(None, "unknown")
    assert render_metrics(metrics, BOGOTA) == [
        "- **TTD** unknown (impact start unknown → issue opened 26-11-20 09:52 UTC-5)",
        "- **TTF** unknown (issue opened 26-11-20 09:52 UTC-5 → resolve time unknown)",
        "- **TTR** unknown (impact start unknown → resolve time unknown)",
    ]
    assert impact_lines(metrics, BOGOTA).split("\n") == [
        "at UTC-5 [1] unknown to [2] unknown (resolve time: no fix merge request linked) | Time to recover was unknown",
        "at UTC-5 [1] 26-11-20 09:52 | Time to detect was unknown",
        "at UTC-5 [1] 26-11-20 09:52 to [2] unknown | Time to fix was unknown",
    ]


def test_cause_linked_but_not_merged_is_unknown():
    metrics = compute_metrics(cause_merged_at=None, cause_ref="!34",
                              reported_at=utc(2026, 11, 20, 15, 0), resolved_at=utc(2026, 11, 20, 16, 0))
    assert metrics.ttd is None and metrics.ttr is None
    assert metrics.ttf == 3600
    assert metrics.impact_start.at is None


def test_negative_difference_is_unknown():
    # The "cause" merged after the issue was opened: inconsistent, so TTD is unknown, not negative.
    metrics = compute_metrics(cause_merged_at=utc(2026, 11, 20, 16, 0), cause_ref="!34",
                              reported_at=utc(2026, 11, 20, 15, 0), resolved_at=utc(2026, 11, 20, 17, 0))
    assert metrics.ttd is None and metrics.ttd_text == "unknown"
    assert metrics.ttf_text == "2.0 hours" and metrics.ttr_text == "1.0 hours"
    # A [detected] tag after the resolve time makes TTF unknown.
    metrics = compute_metrics(cause_merged_at=None, cause_ref=None, reported_at=utc(2026, 11, 20, 15, 0),
                              resolved_at=utc(2026, 11, 20, 17, 0),
                              timeline=[Entry(utc(2026, 11, 20, 18, 0), "detected")])
    assert metrics.ttf is None


def test_naive_and_mixed_zone_inputs_compare_as_instants():
    metrics = compute_metrics(cause_merged_at=datetime(2026, 11, 20, 14, 0), cause_ref=None,
                              reported_at=bogota(2026, 11, 20, 9, 30), resolved_at=None)
    assert metrics.ttd == 30 * 60
    assert metrics.impact_start.source == "cause merged"


def test_resolved_source_names_how_it_was_recorded():
    metrics = compute_metrics(cause_merged_at=None, cause_ref=None, reported_at=utc(2026, 11, 20, 15, 0),
                              resolved_at=utc(2026, 11, 20, 15, 30), resolved_source="issue closed")
    assert metrics.resolved.source == "issue closed"
    assert render_metrics(metrics, None)[1] == (
        "- **TTF** 30.0 minutes (issue opened 26-11-20 15:00 UTC → issue closed 26-11-20 15:30 UTC)")


def test_reference_example_line():
    metrics = Metrics(
        impact_start=Moment(bogota(2026, 11, 20, 9, 14), "cause merged (!34)"),
        reported=Moment(bogota(2026, 11, 20, 9, 30), "issue opened"),
        resolved=Moment(bogota(2026, 11, 20, 13, 40), "status resolved"),
        ttd=16 * 60, ttf=4 * 3600 + 10 * 60, ttr=4 * 3600 + 26 * 60,
        fix_merged=Moment(bogota(2026, 11, 20, 13, 5), "fix merged (!35)"),
    )
    assert impact_lines(metrics, BOGOTA).split("\n")[0] == (
        "at UTC-5 [1] 26-11-20 09:14 to [2] 26-11-20 13:05 | Time to recover was 4.4 hours")


def test_impact_line_names_a_changed_offset_across_daylight_saving():
    # New York: EDT (UTC-4) until 2026-11-01 02:00, then EST (UTC-5).
    metrics = compute_metrics(cause_merged_at=utc(2026, 10, 31, 20, 0), cause_ref=None,
                              reported_at=utc(2026, 11, 1, 12, 0), resolved_at=utc(2026, 11, 1, 15, 0))
    assert impact_lines(metrics, "America/New_York").split("\n")[0] == (
        "at UTC-4 [1] 26-10-31 16:00 to [2] 26-11-01 10:00 UTC-5 (resolve time: no fix merge request linked)"
        " | Time to recover was 19.0 hours")


def test_render_escapes_a_reference_that_could_ping_or_break_markdown():
    metrics = compute_metrics(cause_merged_at=utc(2026, 11, 20, 14, 0), cause_ref="@team `x`",
                              reported_at=utc(2026, 11, 20, 15, 0), resolved_at=None)
    line = render_metrics(metrics, None)[0]
    assert "@team" not in line and "@\u200dteam" in line  # a zero-width joiner stops the mention
    assert "\\`x\\`" in line and "(@\u200dteam \\`x\\`)" in line
    assert metrics.impact_start.source == "cause merged (@team `x`)"  # the plain words stay plain


def test_parsed_document_tags_feed_the_metrics():
    # Reference/004's timeline (EDT): impact-start 11:48, detected 12:58, resolved 14:50.
    profile = PROFILES["full"]
    doc = parse_document((DOCUMENTS / "filled-full.md").read_text(), profile, "America/New_York")
    metrics = compute_metrics(cause_merged_at=None, cause_ref=None,
                              reported_at=utc(2021, 6, 25, 20, 0), resolved_at=utc(2021, 6, 26, 1, 0),
                              timeline=doc.timeline)
    # TTD 1 h 10 min = 1.17 h; TTF 1 h 52 min = 1.87 h; TTR 3 h 2 min = 3.03 h.
    assert (metrics.ttd_text, metrics.ttf_text, metrics.ttr_text) == ("1.2 hours", "1.9 hours", "3.0 hours")
    assert {metrics.impact_start.source, metrics.reported.source, metrics.resolved.source} == {
        "timeline tag [impact-start]", "timeline tag [detected]", "timeline tag [resolved]"}
    assert impact_lines(metrics, "America/New_York").split("\n")[0] == (
        "at UTC-4 [1] 21-06-25 11:48 to [2] 21-06-25 14:50 (resolve time: no fix merge request linked)"
        " | Time to recover was 3.0 hours")
