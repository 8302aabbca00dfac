"""Adding a timeline entry (incidents.timeline_edits): in time order under its date heading, nothing else changed."""
from datetime import date, datetime

from incidents.document import parse_document
from incidents.timeline_edits import add_timeline_entry, date_heading
from issue_templates.render import postmortem_skeleton
from tests.edit_samples import DEFAULT, FULL, NEW_YORK, SIMPLE, UTC, added_lines, read, timeline_lines


def test_date_heading_format():
    """issue 13 item 23: the day has two digits, as reference/004's template writes it."""
    assert date_heading(date(2026, 11, 20)) == "**November 20, 2026:**"
    assert date_heading(date(2021, 6, 5)) == "**June 05, 2021:**"
    assert date_heading(date(2026, 12, 1)) == "**December 01, 2026:**"


def test_unpadded_heading_written_earlier_still_takes_its_entries():
    """issue 13 item 23: a `December 1` heading (older bot, or a person) is the same day as `December 01`."""
    body = "## Timeline\n\n**December 1, 2026:**\n\n- 09:00 - first\n"
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), "second")
    assert added_lines(body, edited) == ["- 10:00 - second"]
    edited = add_timeline_entry(edited, DEFAULT, datetime(2026, 12, 2, 8, 0, tzinfo=UTC), "next day")
    assert "**December 02, 2026:**" in edited
    assert [e.text for e in parse_document(edited, DEFAULT).timeline] == ["first", "second", "next day"]


def test_entry_goes_in_time_order_under_its_date_in_utc():
    body = add_timeline_entry(SIMPLE, DEFAULT, datetime(2026, 11, 20, 14, 20, tzinfo=UTC), "traced it")
    assert timeline_lines(body) == [
        "**November 20, 2026:**",
        "- 14:05 - [detected] alert fired",
        "- 14:20 - traced it",
        "- 14:40 - [mitigated] rolled back",
    ]
    assert added_lines(SIMPLE, body) == ["- 14:20 - traced it"]


def test_same_instant_lands_elsewhere_in_new_york():
    at = datetime(2026, 11, 20, 19, 20, tzinfo=UTC)  # 14:20 EST
    in_utc = add_timeline_entry(SIMPLE, DEFAULT, at, "x")
    in_new_york = add_timeline_entry(SIMPLE, DEFAULT, at, "x", timezone="America/New_York")
    assert timeline_lines(in_new_york)[1:4] == [
        "- 14:05 - [detected] alert fired", "- 14:20 - x", "- 14:40 - [mitigated] rolled back"]
    assert timeline_lines(in_utc)[-1] == "- 19:20 - x"
    entry = next(e for e in parse_document(in_new_york, DEFAULT, "America/New_York").timeline if e.text == "x")
    assert entry.at == at and entry.at.tzinfo == NEW_YORK


def test_entry_after_entries_with_the_same_time():
    body = add_timeline_entry(SIMPLE, DEFAULT, datetime(2026, 11, 20, 14, 5, 30, tzinfo=UTC), "ack", tag="detected")
    assert timeline_lines(body)[1:3] == ["- 14:05 - [detected] alert fired", "- 14:05 - [detected] ack"]
    body = add_timeline_entry(SIMPLE, DEFAULT, datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "first")
    assert timeline_lines(body)[1] == "- 09:00 - first"


def test_new_date_headings_go_in_chronological_place():
    later = add_timeline_entry(SIMPLE, DEFAULT, datetime(2026, 11, 21, 1, 0, tzinfo=UTC), "next day")
    earlier = add_timeline_entry(later, DEFAULT, datetime(2026, 11, 19, 23, 0, tzinfo=UTC), "day before")
    assert timeline_lines(earlier) == [
        "**November 19, 2026:**", "- 23:00 - day before",
        "**November 20, 2026:**", "- 14:05 - [detected] alert fired", "- 14:40 - [mitigated] rolled back",
        "**November 21, 2026:**", "- 01:00 - next day",
    ]
    # Midnight in New York is still November 20: no new heading there.
    in_new_york = add_timeline_entry(SIMPLE, DEFAULT, datetime(2026, 11, 21, 1, 0, tzinfo=UTC), "late",
                                     timezone="America/New_York")
    assert timeline_lines(in_new_york)[-1] == "- 20:00 - late"
    assert sum(line.startswith("**") for line in timeline_lines(in_new_york)) == 1


def test_round_trip_reads_the_new_entry_and_keeps_the_others():
    at = datetime(2026, 11, 20, 14, 20, tzinfo=UTC)
    before = parse_document(SIMPLE, DEFAULT)
    after = parse_document(add_timeline_entry(SIMPLE, DEFAULT, at, "pool exhausted", "impact-start"), DEFAULT)
    assert len(after.timeline) == len(before.timeline) + 1 and after.unparsed_timeline == ()
    new = after.timeline[1]
    assert (new.at, new.tag, new.text) == (at, "impact-start", "pool exhausted")
    assert [e.at for e in after.timeline] == sorted(e.at for e in after.timeline)


def test_missing_timeline_section_is_appended_at_the_end():
    body = "## Root cause analysis\n\nsomething\n\n## Actions\n\n- [ ] x @a"
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 11, 20, 14, 5, tzinfo=UTC), "declared")
    assert edited == body + "\n\n## Timeline\n\n**November 20, 2026:**\n\n- 14:05 - declared"
    assert [e.text for e in parse_document(edited, DEFAULT).timeline] == ["declared"]


def test_placeholder_timeline_keeps_its_comment():
    skeleton = postmortem_skeleton(DEFAULT)
    edited = add_timeline_entry(skeleton, DEFAULT, datetime(2026, 11, 20, 14, 5, tzinfo=UTC), "declared")
    assert added_lines(skeleton, edited) == ["", "**November 20, 2026:**", "", "- 14:05 - declared"]
    assert edited.index("**November 20, 2026:**") < edited.index("## Root cause analysis")
    assert [e.text for e in parse_document(edited, DEFAULT).timeline] == ["declared"]


def test_issue_form_timeline_under_h3_with_a_tight_heading():
    form = read("github-issue-form.md")
    edited = add_timeline_entry(form, DEFAULT, datetime(2026, 11, 20, 14, 3, tzinfo=UTC), "paged on-call")
    assert added_lines(form, edited) == ["- 14:03 - paged on-call"]
    assert [e.text for e in parse_document(edited, DEFAULT).timeline][1] == "paged on-call"


def test_paragraph_style_timeline_of_reference_004():
    full = read("filled-full.md")
    at = datetime(2021, 6, 25, 17, 0, tzinfo=UTC)  # 13:00 EDT, between 12:58 and 14:31
    edited = add_timeline_entry(full, FULL, at, "Scheduler restarted", timezone="America/New_York")
    lines = timeline_lines(edited)
    assert lines.index("- 13:00 - Scheduler restarted") == lines.index(
        "12:58 - [detected] Queue-depth alert fired") + 1
    doc = parse_document(edited, FULL, "America/New_York")
    assert [e.text for e in doc.timeline][3] == "Scheduler restarted"
    assert len(doc.timeline) == 6 and doc.unparsed_timeline == ()


def test_iso_entries_coexist_and_order_holds():
    iso = read("iso-offsets.md")
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    edited = add_timeline_entry(iso, DEFAULT, at, "postmortem started")
    doc = parse_document(edited, DEFAULT)
    assert doc.timeline[-1].text == "postmortem started" and doc.timeline[-1].at == at
    assert [e.at for e in doc.timeline[:-1]] == [e.at for e in parse_document(iso, DEFAULT).timeline]
    early = add_timeline_entry(iso, DEFAULT, datetime(2026, 11, 20, 12, 0, tzinfo=UTC), "config reviewed")
    assert parse_document(early, DEFAULT).timeline[0].text == "config reviewed"


def test_alias_heading_and_multiline_text():
    body = "### Incident timeline:\n\n**November 20, 2026:**\n\n- 10:00 - a\n"
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 11, 20, 11, 0, tzinfo=UTC), "b\nand\n  c")
    assert edited == body + "- 11:00 - b and c\n"


def test_timeline_edit_keeps_crlf_and_unicode():
    body = SIMPLE.replace("rolled back", "rolled back ✅ — naïve").replace("\n", "\r\n")
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), "ça marche 🎉")
    assert "\n" not in edited.replace("\r\n", "")
    assert edited.replace("- 15:00 - ça marche 🎉\r\n", "", 1) == body
    assert parse_document(edited, DEFAULT).timeline[-1].text == "ça marche 🎉"


def test_timeline_entry_after_an_unclosed_fence_is_still_read():
    body = "## Timeline\n\n```\nlog output"
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 11, 20, 14, 5, tzinfo=UTC), "declared")
    assert edited.startswith(body + "\n```\n")
    assert [e.text for e in parse_document(edited, DEFAULT).timeline] == ["declared"]
