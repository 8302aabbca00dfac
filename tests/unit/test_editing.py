"""The editor every body edit shares (incidents.editing): edits never raise, keep what is there, read back."""
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.action_edits import add_action_item, tick_actions
from incidents.document import parse_document
from incidents.profiles import PROFILES
from incidents.section_edits import fill_postmortem, set_taxonomy
from incidents.timeline_edits import add_timeline_entry
from issue_templates.render import postmortem_skeleton
from tests.edit_samples import DEFAULT, SIMPLE, UTC

# --- size -----------------------------------------------------------------------------------

def test_one_megabyte_body():
    filler = "Notes: ünïcode ✓ lorem ipsum dolor sit amet.\n\n" * 22000
    body = SIMPLE + "\n## Notes\n\n" + filler
    assert len(body) > 1_000_000
    edited = add_timeline_entry(body, DEFAULT, datetime(2026, 11, 20, 14, 20, tzinfo=UTC), "x")
    assert edited == body.replace("- 14:40", "- 14:20 - x\n- 14:40", 1)
    edited = add_action_item(edited, DEFAULT, "fix", "a")
    assert parse_document(edited, DEFAULT).actions[-1].owner == "a"
    assert edited.endswith(filler) and len(edited) > 65536  # over GitHub's body limit


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
    edited = add_timeline_entry("```\n\t```\n", DEFAULT, datetime(2000, 1, 1, tzinfo=UTC), "bot entry")
    assert [e.text for e in parse_document(edited, DEFAULT).timeline] == ["bot entry"]
