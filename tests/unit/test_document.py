"""The incident document parser: real-world-shaped documents in, timeline/whys/actions/taxonomy out."""
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from incidents.document import parse_document
from incidents.profiles import PROFILES, UnknownProfile, get_profile
from issue_templates.render import postmortem_skeleton

DOCUMENTS = Path(__file__).parent.parent / "documents"
DEFAULT = PROFILES["timeline-rca-actions"]
ICSC = PROFILES["impact-cause-solution-conclusion"]
FULL = PROFILES["full"]
NEW_YORK = ZoneInfo("America/New_York")


def parse(name, profile=DEFAULT, tz=None):
    return parse_document((DOCUMENTS / name).read_text(), profile, tz, skeleton=postmortem_skeleton(profile))


def test_date_heading_timeline_in_edt_like_reference_004():
    doc = parse("filled-full.md", FULL, "America/New_York")
    assert [(e.line, e.at, e.tag) for e in doc.timeline] == [
        (49, datetime(2021, 6, 25, 11, 48, tzinfo=NEW_YORK), "impact-start"),
        (51, datetime(2021, 6, 25, 12, 46, tzinfo=NEW_YORK), None),
        (53, datetime(2021, 6, 25, 12, 58, tzinfo=NEW_YORK), "detected"),
        (55, datetime(2021, 6, 25, 14, 31, tzinfo=NEW_YORK), "mitigated"),
        (57, datetime(2021, 6, 25, 14, 50, tzinfo=NEW_YORK), "resolved"),
    ]
    assert doc.timeline[0].at.utcoffset() == timedelta(hours=-4)  # EDT in June
    assert doc.timeline[0].text == "K8S 1.9 upgrade of control plane is finished"
    assert not doc.timeline[0].has_offset
    assert doc.timezone_configured and doc.unparsed_timeline == ()


def test_full_document_whys_root_cause_actions_and_front_matter():
    doc = parse("filled-full.md", FULL, "America/New_York")
    assert list(doc.sections) == list(FULL.required)  # front matter is not a section
    assert doc.sections["Summary"].line == 6
    assert [w.line for w in doc.whys] == [61, 62, 63, 64, 65]
    assert doc.whys[0].text == "Why did builds stop? No new build nodes were started."
    assert doc.root_cause_line == 69
    assert doc.root_cause.startswith("The upgrade runbook lets the control plane")
    done, runbook, alert = doc.actions
    assert (done.done, done.owner, done.due, done.line) == (True, "alice", date(2021, 6, 25), 83)
    assert (runbook.done, runbook.owner, runbook.due, runbook.linked_issue) == (
        False, "bob", date(2021, 7, 9), "infra/runbooks#12")
    assert alert.linked_issue == "infra/alerts#7" and alert.line == 85


def test_reference_004_template_itself_parses_with_its_own_headings():
    text = Path("/work/shared/reference/004_5024998f8bf4a218.txt")
    if not text.exists():
        pytest.skip("reference documents not available")
    doc = parse_document(text.read_text(), FULL, "America/New_York")
    assert set(FULL.required) <= set(doc.sections)
    assert doc.sections["Summary"].heading == "Incident Summary"
    assert doc.sections["Five whys"].heading == "Root Cause Identification"
    assert [e.line for e in doc.timeline] == [71, 73]


def test_iso_entries_with_offsets():
    doc = parse("iso-offsets.md")
    assert [(e.line, e.at, e.has_offset) for e in doc.timeline] == [
        (5, datetime(2026, 11, 20, 23, 50, tzinfo=timezone(timedelta(hours=-5))), True),
        (6, datetime(2026, 11, 21, 5, 5, tzinfo=UTC), True),
        (7, datetime(2026, 11, 21, 6, 30, tzinfo=UTC), True),
        (8, datetime(2026, 11, 21, 8, 0, tzinfo=timezone(timedelta(hours=1))), True),
        (9, datetime(2026, 11, 21, 7, 45, tzinfo=UTC), True),
    ]
    assert doc.timeline[0].tag == "impact-start"
    assert doc.sections["Root cause analysis"].heading == "RCA"
    assert len(doc.whys) == 3 and doc.root_cause == "a library default changed and we relied on it."


def test_github_issue_form_output():
    doc = parse("github-issue-form.md", DEFAULT, "UTC")
    assert doc.sections["What went wrong"].text.startswith("Checkout returns 502")
    assert doc.sections["How was it detected?"].is_placeholder  # _No response_
    assert doc.sections["Severity"].text == "partial outage"
    assert doc.sections["Affected components"].checked == ("Platform (platform)", "Mailing (mailing)")
    assert doc.sections["Root cause analysis"].is_placeholder
    assert doc.sections["Actions"].is_placeholder and doc.actions == ()
    assert [(e.line, e.tag) for e in doc.timeline] == [(22, "impact-start"), (23, "detected")]


def test_gitlab_description():
    doc = parse("gitlab-description.md", DEFAULT, "UTC")
    assert doc.timeline[0].at == datetime(2026, 3, 2, 9, 15, tzinfo=ZoneInfo("UTC"))  # `### 2026-03-02` heading
    assert [a.owner for a in doc.actions] == ["bob.smith", None]
    assert doc.actions[0].linked_issue == "group/web#77"
    refs = {(r.kind, r.ref, r.line, r.role) for r in doc.references}
    assert ("merge_request", "!501", 1, None) in refs
    assert ("merge_request", "group/web!501", 7, "cause") in refs  # tagged [impact-start]
    assert ("merge_request", "https://gitlab.com/group/web/-/merge_requests/503", 9, "fix") in refs
    assert ("commit", "https://gitlab.com/group/web/-/commit/9f3c2a1b", 14, "cause") in refs


def test_taxonomy_tree_at_end_of_conclusion():
    doc = parse("filled-impact-cause-solution-conclusion.md", ICSC, "America/Bogota")
    assert doc.taxonomy.terms == ("MISSING_TEST", "INCOMPLETE_PERSPECTIVE")
    assert doc.taxonomy.line == 31


@pytest.mark.parametrize("line, terms", [
    ("DATA_QUALITY < FAILED_MIGRATION", ("DATA_QUALITY", "FAILED_MIGRATION")),
    ("**Taxonomy:** `THIRD_PARTY_ERROR`", ("THIRD_PARTY_ERROR",)),
    ("Taxonomy tree: data quality < failed-migration", ("DATA_QUALITY", "FAILED_MIGRATION")),
])
def test_taxonomy_forms(line, terms):
    doc = parse_document(f"## Conclusion\n\nWe learned things.\n\n{line}\n", ICSC)
    assert doc.taxonomy.terms == terms and doc.taxonomy.line == 5


def test_bare_prose_at_end_of_conclusion_is_not_taxonomy():
    doc = parse_document("## Conclusion\n\nWe learned things.\n\nTODO\n", ICSC)
    assert doc.taxonomy is None


@pytest.mark.parametrize("heading", ["## RCA", "## rca:", "### Root Cause Analysis", "## **Root cause analysis:**"])
def test_section_aliases_case_and_colon(heading):
    doc = parse_document(f"{heading}\n\nbecause\n", DEFAULT)
    assert list(doc.sections) == ["Root cause analysis"]


def test_profile_aliases_from_every_reference_document():
    assert FULL.canonical("Incident Summary") == "Summary"
    assert FULL.canonical("Root Cause Identification") == "Five whys"
    assert FULL.canonical("Corrective Actions:") == "Corrective actions"
    assert DEFAULT.canonical("RCA") == "Root cause analysis"
    assert DEFAULT.canonical("Corrective actions") == "Actions"
    for profile in PROFILES.values():
        assert all(profile.canonical(name) == name for name in profile.required)


def test_unknown_profile_and_custom_profile():
    with pytest.raises(UnknownProfile):
        get_profile("nope")
    custom = get_profile("short", {"short": {"required": ["What happened"], "aliases": {"What happened": ["TL;DR"]}}})
    assert custom.required == ("What happened",) and custom.canonical("tl;dr:") == "What happened"


def test_placeholder_kinds():
    text = "## Timeline\n\n<!-- write here -->\n\n## Root cause analysis\n\n_No response_\n\n## Actions\n\nfilled\n"
    doc = parse_document(text, DEFAULT)
    assert doc.sections["Timeline"].is_placeholder
    assert doc.sections["Root cause analysis"].is_placeholder
    assert not doc.sections["Actions"].is_placeholder


def test_text_identical_to_skeleton_is_placeholder():
    skeleton = "## Timeline\n\nWrite the timeline here.\n\n## Actions\n\n- [ ] Example @owner\n"
    doc = parse_document(skeleton, DEFAULT, skeleton=skeleton)
    assert doc.sections["Timeline"].is_placeholder and doc.sections["Actions"].is_placeholder
    edited = skeleton.replace("Write the timeline here.", "- 2026-01-01 10:00 - went down")
    assert not parse_document(edited, DEFAULT, skeleton=skeleton).sections["Timeline"].is_placeholder


def test_unparsed_and_continuation_lines():
    text = (
        "## Timeline\n\nAll times are UTC.\n\n"  # prose: not an entry, not a problem
        "- 10:00 - no date heading yet\n"
        "**March 3, 2026:**\n\n"
        "- 10:05 - alert fired\n  and paged the on-call\n"
        "- 25:10 - impossible hour\n"
        "- customers complained around noon\n"
        "2026-02-30 10:00 - impossible date\n"
    )
    doc = parse_document(text, DEFAULT)
    assert [(e.line, e.text) for e in doc.timeline] == [(8, "alert fired and paged the on-call")]
    assert [u.line for u in doc.unparsed_timeline] == [5, 10, 11, 12]


def test_crlf_and_nul_keep_line_numbers():
    text = "## Timeline\r\n\r\n- 2026-01-01 10:00 - a\x00b\r\n- 2026-01-01 11:00 - c\r\n"
    doc = parse_document(text, DEFAULT, "UTC")
    assert [e.line for e in doc.timeline] == [3, 4]
    assert doc.timeline[0].text == "a\ufffdb"


def test_timezone_defaults_to_utc_and_bad_name_is_not_configured():
    doc = parse_document("## Timeline\n\n- 2026-01-01 10:00 - a\n", DEFAULT, "Not/AZone")
    assert doc.timeline[0].at.utcoffset() == timedelta(0) and not doc.timezone_configured


def test_action_items_details():
    text = (
        "## Actions\n\n"
        "- [ ] Write a runbook @alice due: 2026-12-01 https://github.com/acme/ops/issues/12\n"
        "- [X] Page fix @acme/sre (deadline 2026-11-30) #45\n"
        "  - a note, not an action\n"
        "- [ ] mail me at bob@example.com due 2026-13-01\n"
        "- [ ] <!-- placeholder item -->\n"
    )
    doc = parse_document(text, DEFAULT)
    runbook, page, mail = doc.actions
    assert (runbook.owner, runbook.due, runbook.linked_issue, runbook.line) == (
        "alice", date(2026, 12, 1), "https://github.com/acme/ops/issues/12", 3)
    assert (page.done, page.owner, page.due, page.linked_issue) == (True, "acme/sre", date(2026, 11, 30), "#45")
    assert (mail.owner, mail.due) == (None, None)  # an email is not an owner; 2026-13-01 is not a date


def test_headings_inside_a_section_stay_in_it():
    text = "## Root cause analysis\n\n#### Details\n\n1. why a\n2. why b\n\n## Actions\n\n- [ ] x @a\n"
    doc = parse_document(text, DEFAULT)
    assert list(doc.sections) == ["Root cause analysis", "Actions"]
    assert [w.line for w in doc.whys] == [5, 6]


def test_duplicate_section_keeps_first():
    doc = parse_document("## Timeline\n\none\n\n## Timeline\n\ntwo\n", DEFAULT)
    assert doc.sections["Timeline"].text == "one"
    assert [s.line for s in doc.duplicate_sections] == [5]


def test_every_profile_reads_date_headings_no_flag_needed():
    """Why `uses_date_headings` went: date headings (`**June 25, 2021:**`, `### 2024-03-05`) above
    `HH:MM` entries are read in every profile, built in or custom (DESIGN, Conventions)."""
    body = "## Timeline\n\n### 2024-03-05\n\n- 23:50 - alert\n\n### 2024-03-06\n\n- 00:10 - rolled back\n"
    custom = get_profile("short", {"short": {"required": ["Timeline"]}})
    for profile in (*PROFILES.values(), custom):
        doc = parse_document(body, profile)
        assert [e.at for e in doc.timeline] == [datetime(2024, 3, 5, 23, 50, tzinfo=UTC),
                                                datetime(2024, 3, 6, 0, 10, tzinfo=UTC)], profile.name
