"""Pure edits of the incident issue body: each adds or changes only what it must."""
import difflib
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.document import parse_document
from incidents.editing import (
    GITHUB_BODY_LIMIT,
    add_action_item,
    add_timeline_entry,
    date_heading,
    fill_postmortem,
    fits,
    same_issue,
    set_taxonomy,
    tick_actions,
)
from incidents.profiles import PROFILES
from issue_templates.render import postmortem_skeleton

DOCUMENTS = Path(__file__).parent / "documents"
DEFAULT = PROFILES["timeline-rca-actions"]
ICSC = PROFILES["impact-cause-solution-conclusion"]
FULL = PROFILES["full"]
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc


def read(name):
    return (DOCUMENTS / name).read_text()


def added_lines(before, after):
    """The lines an edit added, and check it removed none."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [line for line in diff if line.startswith("- ")], "an edit removed a line"
    return [line[2:] for line in diff if line.startswith("+ ")]


def timeline_lines(body):
    """The Timeline section's non-blank lines, from its heading to the next section."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("#").strip().lower() == "timeline")
    out = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.strip():
            out.append(line)
    return out


SIMPLE = """## Timeline

**November 20, 2026:**

- 14:05 - [detected] alert fired
- 14:40 - [mitigated] rolled back

## Root cause analysis

Root cause: a bad pool size.

## Actions

- [ ] Load test @dave due 2026-12-04 acme/api#302
"""


# --- timeline -------------------------------------------------------------------------------

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


# --- action items ---------------------------------------------------------------------------

def test_action_item_is_the_last_item_and_parses_back():
    edited = add_action_item(SIMPLE, DEFAULT, "add alert on queue depth", "alice", date(2026, 12, 1),
                             "team/backlog#3")
    assert edited == SIMPLE + "- [ ] add alert on queue depth @alice due 2026-12-01 team/backlog#3\n"
    action = parse_document(edited, DEFAULT).actions[-1]
    assert (action.text, action.owner, action.due, action.linked_issue, action.done) == (
        "add alert on queue depth @alice due 2026-12-01 team/backlog#3", "alice", date(2026, 12, 1),
        "team/backlog#3", False)


def test_action_item_minimal_and_owner_given_with_at_sign():
    assert add_action_item(SIMPLE, DEFAULT, "write runbook", None).endswith("- [ ] write runbook\n")
    assert add_action_item(SIMPLE, DEFAULT, "write runbook", "@bob").endswith("- [ ] write runbook @bob\n")
    assert add_action_item(SIMPLE, DEFAULT, "ask @bob to pair", "bob").endswith("- [ ] ask @bob to pair\n")


def test_action_item_in_a_list_with_other_text_after_it():
    body = "## Actions\n\n* [x] done @a\n* [ ] open @b\n  notes on b\n\nMore notes.\n"
    edited = add_action_item(body, DEFAULT, "new", "c")
    assert edited == body.replace("  notes on b\n", "  notes on b\n* [ ] new @c\n")
    assert [a.owner for a in parse_document(edited, DEFAULT).actions] == ["a", "b", "c"]


def test_action_section_by_profile():
    edited = add_action_item(read("filled-full.md"), FULL, "pin autoscaler", "alice", date(2021, 7, 1))
    doc = parse_document(edited, FULL)
    assert doc.actions[-1].owner == "alice"
    assert edited.rstrip().endswith("- [ ] pin autoscaler @alice due 2021-07-01")


def test_missing_action_section_is_created_at_the_end():
    body = "## Timeline\n\n- 2026-11-20 14:05 - x\n"
    edited = add_action_item(body, DEFAULT, "fix it", "alice")
    assert edited == body + "\n## Actions\n\n- [ ] fix it @alice\n"
    full = add_action_item("### Summary\n\ntext", FULL, "fix it", "alice")
    assert full == "### Summary\n\ntext\n\n### Corrective actions\n\n- [ ] fix it @alice"


def test_placeholder_section_keeps_comment_and_no_response_is_replaced():
    skeleton = postmortem_skeleton(DEFAULT)
    edited = add_action_item(skeleton, DEFAULT, "fix it", "alice")
    assert added_lines(skeleton, edited) == ["", "- [ ] fix it @alice"]
    assert [a.owner for a in parse_document(edited, DEFAULT).actions] == ["alice"]
    form = read("github-issue-form.md")
    edited = add_action_item(form, DEFAULT, "fix it", "alice")
    assert edited == form.replace("### Actions\n\n_No response_", "### Actions\n\n- [ ] fix it @alice")


def test_action_item_keeps_crlf_and_unicode():
    body = SIMPLE.replace("\n", "\r\n")
    edited = add_action_item(body, DEFAULT, "réparer le cache 🔧", "zoë")
    assert edited == body + "- [ ] réparer le cache 🔧 @zoë\r\n"


# --- ticking --------------------------------------------------------------------------------

TICKS = """## Actions

- [ ] A @a group/project#45
- [ ] B @b #45
- [x] C @c https://gitlab.com/group/project/-/issues/45
- [ ] D @d other/project#45
- E @e group/project#45
"""


def test_tick_actions_by_linked_issue():
    edited = tick_actions(TICKS, DEFAULT, "https://gitlab.com/group/project/-/issues/45")
    assert [a.done for a in parse_document(edited, DEFAULT).actions] == [True, False, True, False, True]
    assert "- [x] E @e group/project#45" in edited and "- [x] A @a" in edited
    with_home = tick_actions(TICKS, DEFAULT, "group/project#45", home_repository="group/project")
    assert [a.done for a in parse_document(with_home, DEFAULT).actions] == [True, True, True, False, True]


def test_untick_and_nothing_linked():
    edited = tick_actions(TICKS, DEFAULT, "group/project#45", done=False)
    assert [a.done for a in parse_document(edited, DEFAULT).actions] == [False] * 5
    assert tick_actions(TICKS, DEFAULT, "nobody/here#1") == TICKS
    assert tick_actions(TICKS.replace("\n", "\r\n"), DEFAULT, "other/project#45") == TICKS.replace(
        "- [ ] D", "- [x] D").replace("\n", "\r\n")


def test_same_issue():
    assert same_issue("https://github.com/Acme/API/issues/302", "acme/api#302")
    assert same_issue("#5", "#5") and not same_issue("#5", "#6")
    assert not same_issue("#5", "acme/api#5")
    assert same_issue("#5", "acme/api#5", home_repository="acme/api")
    assert same_issue("https://gitlab.example.com/g/sub/p/-/work_items/7", "g/sub/p#7")
    assert not same_issue("", "")


# --- taxonomy -------------------------------------------------------------------------------

def test_set_taxonomy_replaces_an_existing_line():
    body = "## Conclusion\n\nWe learned.\n\n- Taxonomy: MISSING_TEST\n"
    edited = set_taxonomy(body, ICSC, ["DATA_QUALITY", "FAILED_MIGRATION"])
    assert edited == body.replace("MISSING_TEST", "DATA_QUALITY < FAILED_MIGRATION")
    assert parse_document(edited, ICSC).taxonomy.terms == ("DATA_QUALITY", "FAILED_MIGRATION")


def test_set_taxonomy_replaces_a_bare_tree_line():
    body = "## Conclusion\n\nWe learned.\n\nMISSING_TEST < INCOMPLETE_PERSPECTIVE\n"
    assert set_taxonomy(body, ICSC, ["DATA_QUALITY"]) == "## Conclusion\n\nWe learned.\n\nTaxonomy: DATA_QUALITY\n"


def test_set_taxonomy_ends_the_conclusion_then_the_root_cause():
    body = "## Conclusion\n\nWe learned.\n\n## Notes\n\nx\n"
    edited = set_taxonomy(body, ICSC, ["missing test"])
    assert edited == "## Conclusion\n\nWe learned.\n\nTaxonomy: MISSING_TEST\n\n## Notes\n\nx\n"
    edited = set_taxonomy(SIMPLE, DEFAULT, ["MISSING_ALERT"])
    assert "Root cause: a bad pool size.\n\nTaxonomy: MISSING_ALERT\n\n## Actions" in edited
    doc = parse_document(edited, DEFAULT)
    assert doc.taxonomy.terms == ("MISSING_ALERT",) and doc.root_cause == "a bad pool size."


def test_set_taxonomy_in_a_template_and_without_sections():
    skeleton = postmortem_skeleton(ICSC)
    edited = set_taxonomy(skeleton, ICSC, ["THIRD_PARTY_ERROR"])
    assert parse_document(edited, ICSC).taxonomy.terms == ("THIRD_PARTY_ERROR",)
    assert edited.rstrip().endswith("-->\n\nTaxonomy: THIRD_PARTY_ERROR")
    assert set_taxonomy("", DEFAULT, ["X_Y"]) == "## Taxonomy\n\nTaxonomy: X_Y\n"
    assert set_taxonomy("## Timeline\n\nTaxonomy:\n", DEFAULT, ["X_Y"]) == "## Timeline\n\nTaxonomy: X_Y\n"
    assert set_taxonomy(SIMPLE, DEFAULT, []) == SIMPLE


# --- postmortem -----------------------------------------------------------------------------

def test_fill_postmortem_adds_missing_sections_in_skeleton_order():
    body = "Intro words.\n\n## Timeline\n\n- 2026-11-20 14:05 - x\n\n## Actions\n\n- [ ] y @a\n"
    edited = fill_postmortem(body, DEFAULT, postmortem_skeleton(DEFAULT))
    doc = parse_document(edited, DEFAULT)
    assert list(doc.sections) == ["Timeline", "Root cause analysis", "Actions"]
    assert doc.sections["Root cause analysis"].is_placeholder
    assert added_lines(body, edited)[0] == "## Root cause analysis"
    assert len(doc.timeline) == 1 and len(doc.actions) == 1


def test_fill_postmortem_uses_the_documents_heading_level_and_appends_at_the_end():
    form = read("github-issue-form.md")
    edited = fill_postmortem(form, FULL, postmortem_skeleton(FULL))
    doc = parse_document(edited, FULL)
    assert set(FULL.required) <= set(doc.sections)
    assert "### Summary" in edited and "\n## Summary" not in edited
    assert edited.startswith(form[: form.index("### Timeline")])
    names = [n for n in doc.sections if n in FULL.required]
    assert names.index("Five whys") > names.index("Timeline")


def test_fill_postmortem_complete_body_is_unchanged():
    full = read("filled-full.md")
    assert fill_postmortem(full, FULL, postmortem_skeleton(FULL)) is full
    empty = fill_postmortem("", ICSC, postmortem_skeleton(ICSC))
    assert list(parse_document(empty, ICSC).sections) == list(ICSC.required)


def test_fill_postmortem_keeps_crlf():
    body = "## Timeline\r\n\r\n- 2026-11-20 14:05 - x\r\n"
    edited = fill_postmortem(body, DEFAULT, postmortem_skeleton(DEFAULT))
    assert edited.startswith(body) and "\n" not in edited.replace("\r\n", "")


# --- size -----------------------------------------------------------------------------------

def test_fits():
    assert GITHUB_BODY_LIMIT == 65536
    assert fits("x" * 65536) and not fits("x" * 65537) and fits("abc", limit=3) and not fits("abcd", 3)


def test_one_megabyte_body():
    filler = "Notes: ünïcode ✓ lorem ipsum dolor sit amet.\n\n" * 22000
    body = SIMPLE + "\n## Notes\n\n" + filler
    assert len(body) > 1_000_000
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 11, 20, 14, 20, tzinfo=UTC), "x")
    assert edited == body.replace("- 14:40", "- 14:20 - x\n- 14:40", 1)
    edited = add_action_item(edited, DEFAULT, "fix", "a")
    assert parse_document(edited, DEFAULT).actions[-1].owner == "a"
    assert edited.endswith(filler) and not fits(edited)


# --- properties -----------------------------------------------------------------------------

FRAGMENTS = [
    "## Timeline\n", "### Incident timeline\n", "## Actions\n", "## Corrective actions\n", "## Conclusion\n",
    "## RCA\n", "# x\n", "Heading\n===\n", "**November 20, 2026:**\n", "**June 25, 2021:**\n",
    "- 14:05 - [detected] alert\n", "14:30 - plain\n", "2026-11-20 14:05 -05:00 - x\n", "25:99 - bad\n",
    "- [ ] fix @alice due 2026-12-01 #45\n", "- [x] done group/p#1\n", "* b\n", "1. why\n", "  more\n",
    "Taxonomy: DATA_QUALITY < X\n", "Taxonomy:\n", "MISSING_TEST\n", "<!-- c\n", "-->\n", "```\n", "~~~~\n",
    "<pre>\n", "<?x\n", "> ", "    ", "\n", "\r\n", "\r", "\x00", "_No response_\n", "---\n", "[", "]",
    "@", "#", "<", "*", "\t", "\u2028", "\ufeff", "\U0001f525",
]
documents = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40).map("".join)
profiles = st.sampled_from(list(PROFILES.values()))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=documents, profile=profiles, at=moments, text=st.text(max_size=30),
       zone=st.sampled_from([None, "UTC", "America/New_York", "Asia/Kolkata", "Bad/Zone"]))
def test_edits_never_raise(body, profile, at, text, zone):
    results = [
        add_timeline_entry(body, profile, at, text, tag="detected", timezone=zone),
        add_action_item(body, profile, text, "alice", date(2026, 12, 1), "#45"),
        tick_actions(body, profile, "#45"),
        set_taxonomy(body, profile, ["DATA_QUALITY", text]),
        fill_postmortem(body, profile, postmortem_skeleton(profile)),
    ]
    assert all(isinstance(result, str) for result in results)
    assert tick_actions(body, profile, "nothing/links#0") == body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=documents, after=documents, heading=st.sampled_from(["## Actions", "### Action items:", "Actions\n---"]))
def test_add_action_item_always_adds_exactly_one_item(before, after, heading):
    body = f"{before}\n\n{heading}\n{after}"
    doc = parse_document(body, DEFAULT)
    if "Actions" not in doc.sections:
        return  # the heading was swallowed by a code block or an HTML block before it
    edited = add_action_item(body, DEFAULT, "add an alert", "alice", date(2026, 12, 1))
    actions = parse_document(edited, DEFAULT).actions
    assert len(actions) == len(doc.actions) + 1
    assert any(a.text == "add an alert @alice due 2026-12-01" and a.owner == "alice" for a in actions)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=documents, at=moments)
def test_add_timeline_entry_is_always_read_back(body, at):
    edited = add_timeline_entry(body, DEFAULT, at, "bot entry")
    times = [e.at for e in parse_document(edited, DEFAULT).timeline if e.text == "bot entry"]
    before = [e.at for e in parse_document(body, DEFAULT).timeline if e.text == "bot entry"]
    assert len(times) == len(before) + 1 and at.replace(second=0, microsecond=0) in times


def test_a_fence_closed_by_a_tab_indented_line_is_still_open():
    """Found by the property test: a closing fence indented four columns (a tab) closes nothing."""
    edited = add_timeline_entry("```\n\t```\n", DEFAULT, datetime(2000, 1, 1, tzinfo=timezone.utc), "bot entry")
    assert [e.text for e in parse_document(edited, DEFAULT).timeline] == ["bot entry"]


def test_generated_lines_are_read_only_between_both_markers():
    from incidents.editing import generated_lines

    body = "## Impact\n\nPeople wrote this.\n<!-- incident-desk:impact -->\n[1] 26-11-20 14:05\n<!-- /incident-desk:impact -->\n"
    assert generated_lines(body, "impact") == ["<!-- incident-desk:impact -->", "[1] 26-11-20 14:05",
                                               "<!-- /incident-desk:impact -->"]
    assert generated_lines(body.replace("<!-- /incident-desk:impact -->", ""), "impact") is None
    assert generated_lines("## Impact\n\nPeople wrote this.\n", "impact") is None
