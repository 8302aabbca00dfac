"""The checks: filled templates pass, unfilled ones fail, each rule fires on its own mistake."""
from pathlib import Path

import pytest

from checks import Finding, rules, run_checks
from incidents.config import load_config
from incidents.document import parse_document
from incidents.profiles import PROFILES
from issue_templates.render import postmortem_skeleton

DOCUMENTS = Path(__file__).parent.parent / "documents"
DEFAULT = PROFILES["timeline-rca-actions"]
FILLED = {
    "timeline-rca-actions": ("filled-timeline-rca-actions.md", "Europe/Berlin"),
    "impact-cause-solution-conclusion": ("filled-impact-cause-solution-conclusion.md", "America/Bogota"),
    "full": ("filled-full.md", "America/New_York"),
}


def findings(text, profile=DEFAULT, tz="UTC", config=None):
    doc = parse_document(text, profile, tz, skeleton=postmortem_skeleton(profile))
    return run_checks(doc, profile, config)


def codes(text, profile=DEFAULT, tz="UTC", config=None):
    return [(f.code, f.line) for f in findings(text, profile, tz, config)]


@pytest.mark.parametrize("name", sorted(FILLED))
def test_filled_template_passes_its_profile(name):
    filename, tz = FILLED[name]
    text = (DOCUMENTS / filename).read_text()
    profile = PROFILES[name]
    assert findings(text, profile, tz) == []
    # The filled document keeps every heading of the skeleton it was written from.
    skeleton_headings = [line for line in postmortem_skeleton(name).splitlines() if line.startswith("## ")]
    assert all(heading in text.splitlines() for heading in skeleton_headings)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_unfilled_template_fails_with_empty_section_for_every_required_section(name):
    profile = PROFILES[name]
    result = findings(postmortem_skeleton(name), profile)
    errors = [f for f in result if f.severity == "error"]
    assert [(f.code, f.section) for f in errors] == [("empty-section", s) for s in profile.required]
    assert all(f.message == rules.EMPTY_SECTION.format(section=f.section) for f in errors)


def test_missing_section():
    result = findings("## Timeline\n\n- 2026-01-01 10:00 - down\n\n## Actions\n\n- [ ] fix @a\n")
    assert [(f.code, f.section, f.line) for f in result] == [
        ("missing-section", "Root cause analysis", None)]
    assert result[0].message == rules.MISSING_SECTION.format(section="Root cause analysis")


BASE = """## Timeline

{timeline}

## RCA

1. why one
2. why two
3. why three

{rca}

## Actions

{actions}
"""


def doc(timeline="- 2026-01-01 10:00 - down", rca="", actions="- [ ] fix it @alice"):
    return BASE.format(timeline=timeline, rca=rca, actions=actions)


def test_timeline_rules():
    text = doc(timeline="- 2026-01-01 10:00 - down\n- 2026-01-01 09:00 - earlier\n- 10h00 - odd")
    assert codes(text) == [("timeline-out-of-order", 4), ("timeline-unparsed-entry", 5)]
    assert codes(text, tz=None)[-1] == ("timeline-missing-timezone", 3)  # a warning, once, last
    assert codes(doc(timeline="- 2026-01-01 10:00 +02:00 - a"), tz=None) == []  # offset given
    assert codes(doc(timeline="- 2026-01-01 10:00 - [detcted] typo")) == [("timeline-unknown-tag", 3)]


WHYS_PROFILE = """
profile: rca-with-whys
profiles:
  rca-with-whys:
    required: [Timeline, Root cause analysis, Actions]
"""


def test_too_few_whys():
    """A custom profile asks for 3 whys unless it says `min_whys` (DESIGN "Five whys")."""
    config, errors = load_config(WHYS_PROFILE)
    assert errors == []
    profile = config.get_profile()
    text = BASE.format(timeline="- 2026-01-01 10:00 - down", actions="- [ ] x @a", rca="").replace("3. why three\n", "")
    assert codes(text, profile, config=config) == [("too-few-whys", 5)]
    five = text.replace("## Actions", "## Five whys\n\n1. a\n2. b\n3. c\n\n## Actions")
    assert codes(five, profile, config=config) == []  # a separate Five whys section counts too
    lenient, _ = load_config(WHYS_PROFILE + "    min_whys: 1\n")
    assert codes(text, lenient.get_profile(), config=lenient) == []


FLOWFUSE_PROSE_RCA = """## Timeline

- 2026-11-20 14:05 - [detected] Customers report that their instances do not start
- 2026-11-20 15:10 - [resolved] Instances start again

## RCA

The node pool ran out of capacity after the scheduler update in !212, so new instances
stayed pending. Reverting the update in !215 gave the pool its capacity back.

Root cause: the scheduler update halved the pool's capacity.

## Actions

- [ ] Alert on pending instances @dave due 2026-12-04
"""


def test_timeline_rca_actions_asks_for_no_whys():
    """issue 13 item 26: FlowFuse writes its RCA as prose and asks for no whys (reference/002)."""
    assert DEFAULT.min_whys == 0
    assert codes(FLOWFUSE_PROSE_RCA) == []
    config, _ = load_config("profile: timeline-rca-actions")
    assert codes(FLOWFUSE_PROSE_RCA, config.get_profile(), config=config) == []


def test_root_cause_too_long():
    short = doc(rca="Root cause: the v1.9 autoscaler, e.g. its API client, was too new. It broke.")
    assert codes(short) == []
    long = doc(rca="Root cause: one. Two. Three.")
    assert codes(long) == [("root-cause-too-long", 11)]
    assert findings(long)[0].message == rules.ROOT_CAUSE_TOO_LONG.format(count=3)


def test_action_owner_and_due_date():
    text = doc(actions="- [ ] no owner here\n- [x] done @bob")
    assert codes(text) == [("action-without-owner", 15)]
    full_actions = findings(text, PROFILES["full"])
    assert ("action-without-due-date", 15) in [(f.code, f.line) for f in full_actions]
    assert ("action-without-due-date", 16) not in [(f.code, f.line) for f in full_actions]  # done
    config, _ = load_config("actions: {require_due_date: true, require_owner: false}")
    assert codes(text, config=config) == [("action-without-due-date", 15)]


def test_taxonomy_rules():
    icsc = PROFILES["impact-cause-solution-conclusion"]
    base = "## Impact\n\nx\n\n## Cause\n\ny\n\n## Solution\n\nz\n\n## Conclusion\n\nlearned\n\n"
    assert codes(base, icsc) == [("missing-taxonomy", 13)]
    result = findings(base + "Taxonomy: MISING_TEST < OUR_TERM\n", icsc)
    assert [(f.code, f.line) for f in result] == [("unknown-taxonomy-term", 17), ("unknown-taxonomy-term", 17)]
    assert "did you mean MISSING_TEST?" in result[0].message
    config, errors = load_config("taxonomy: [OUR_TERM]")
    assert not errors
    assert codes(base + "Taxonomy: MISSING_TEST < OUR_TERM\n", icsc, config=config) == []
    assert "missing-taxonomy" not in {code for code, _ in codes(doc())}  # only profiles that ask


def test_commit_instead_of_merge_request():
    commit = "https://github.com/acme/api/commit/0123456789abcdef"
    assert codes(doc(rca=f"Introduced in {commit}.")) == [("commit-instead-of-merge-request", 11)]
    assert codes(doc(rca=f"Introduced in !34 ({commit}).")) == []  # the MR is there too
    assert codes(doc(rca="Introduced in https://github.com/acme/api/pull/34.")) == []


def test_order_errors_first_then_line():
    text = doc(timeline="- 2026-01-01 10:00 - a\n- 2026-01-01 09:00 - b", actions="- [ ] nobody")
    result = findings(text, tz=None)
    assert [f.severity for f in result] == ["error", "error", "warning"]
    assert [f.line for f in result] == [4, 16, 3]
    assert isinstance(result[0], Finding)
    assert set(result[0].as_dict()) == {"code", "severity", "section", "line", "message"}


def test_rules_are_small_functions_with_docstrings():
    assert len(rules.RULES) >= 12 and all(rule.__doc__ for rule in rules.RULES)


CDS_CONFIG = """
profile: blameless
profiles:
  blameless:
    required: [What happened, Impact, How it was discovered, What went wrong, Actions]
"""


def test_incident_header_is_not_a_section_of_the_postmortem():
    """issue 13 item 24: `/incident`'s header must not fill CDS's "What went wrong" question."""
    from incidents.summary import postmortem_template_header

    config, errors = load_config(CDS_CONFIG)
    assert errors == []
    profile = config.get_profile()
    skeleton = postmortem_skeleton(profile)
    body = postmortem_template_header("alice", "acme/api#12", "Checkout returns 502") + skeleton
    doc = parse_document(body, profile, "UTC", skeleton=skeleton)
    assert doc.sections["What went wrong"].is_placeholder
    result = [(f.code, f.section) for f in run_checks(doc, profile, config)]
    assert ("empty-section", "What went wrong") in result
    assert not [code for code, _ in result if code == "duplicate-section"]
    # The header still says who declared it, from where, and what went wrong, before any section.
    assert body.index("Checkout returns 502") < body.index("## What happened")
    assert "@alice" in body and "acme/api#12" in body
