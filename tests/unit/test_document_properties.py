"""Property tests: the parser and the checks never raise, whatever the issue body holds."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import run_checks
from incidents.config import load_config
from incidents.document import parse_document
from incidents.profiles import PROFILES

PROFILE_LIST = list(PROFILES.values())

# Fragments that steer random text into the parser's interesting paths.
FRAGMENTS = [
    "## Timeline\n", "### RCA:\n", "## Actions\n", "## Conclusion\n", "## Root cause\n", "# x\n",
    "**June 25, 2021:**\n", "### 2026-02-30\n", "- 14:05 - [detected] alert\n", "25:99 - bad\n",
    "2026-11-20 14:05 -05:00 - x\n", "2026-11-20T14:05Z - x\n", "- [ ] fix @alice due 2026-12-01 #45\n",
    "- [x] done group/p#1\n", "1. why\n", "Taxonomy: DATA_QUALITY < X\n", "MISSING_TEST\n",
    "Root cause: a. b. c.\n", "<!-- c\n", "-->\n", "```\n", "> ", "    ", "\r\n", "\r", "\x00",
    "_No response_\n", "!34 https://x/y/-/commit/abcdef1 https://x/y/pull/3\n", "---\n", "[", "]",
    "@", "#", "<", "*", "\t", "\u2028", "\ufeff", "\U0001f525",
]

documents = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents, profile=st.sampled_from(PROFILE_LIST),
       timezone=st.sampled_from([None, "UTC", "America/Bogota", "Bad/Zone", ""]))
def test_parser_and_checks_never_raise(text, profile, timezone):
    doc = parse_document(text, profile, timezone)
    findings = run_checks(doc, profile)
    assert all(f.severity in ("error", "warning") for f in findings)
    line_count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    assert all(f.line is None or 1 <= f.line <= line_count for f in findings)
    assert all(entry.at is not None and entry.at.tzinfo is not None for entry in doc.timeline)


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_arbitrary_unicode_never_raises(text):
    profile = PROFILES["full"]
    run_checks(parse_document(text, profile, "UTC"), profile)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_config_loading_never_raises(text):
    config, errors = load_config(text)
    assert config is not None and all(isinstance(e.message, str) for e in errors)


def test_pathological_nesting_never_raises():
    for text in ("> " * 5000 + "x", "- " * 5000 + "x", "[" * 20000, "<!--" * 10000, "*" * 50000):
        doc = parse_document(text, PROFILES["timeline-rca-actions"])
        run_checks(doc, PROFILES["timeline-rca-actions"])


def test_one_megabyte_body_is_checked():
    """A 1 MB body parses and checks fully; bench/check.py measures how long it takes."""
    lines = ["## Timeline", "", "**June 25, 2021:**", ""]
    lines += [f"- {h:02d}:{m:02d} - step {h * 60 + m} of the recovery" for h in range(24) for m in range(60)]
    lines += ["", "## Root cause analysis", "", "1. why", "2. why", "3. why", "", "## Actions", ""]
    body = "\n".join(lines)
    actions = "\n".join(f"- [ ] follow-up number {n} @owner{n} due 2026-12-01 group/project#{n}" for n in range(20000))
    text = (body + "\n" + actions)[: 1024 * 1024]
    assert len(text) == 1024 * 1024
    profile = PROFILES["timeline-rca-actions"]
    doc = parse_document(text, profile, "UTC")
    findings = run_checks(doc, profile)
    assert len(doc.timeline) == 24 * 60 and len(doc.actions) > 10000
    assert not [f for f in findings if f.code != "action-without-owner"]  # only the cut-off last item
