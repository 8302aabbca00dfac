"""Timeline entries and action items as the document reads them: one-line and wrapped entries, and a due
date found after `due` or `deadline`, whichever comes first."""
from __future__ import annotations

from datetime import date

from incidents.document import parse_document
from incidents.profiles import PROFILES

PROFILE = PROFILES["timeline-rca-actions"]


def test_one_line_and_wrapped_timeline_entries():
    text = ("## Timeline\n\n**June 25, 2021:**\n\n- 14:05 - [detected] alert <!-- note -->\n"
            "- 14:06Z - wrapped\n  onto a second line\n- 14:07 - third\n\n14:08 - a paragraph\n14:09 - of two\n"
            "- 25:00 - no such time\n")
    document = parse_document(text, PROFILE, "UTC")
    assert [(e.line, e.text, e.tag, e.has_offset) for e in document.timeline] == [
        (5, "alert", "detected", False),
        (6, "wrapped onto a second line", None, True),
        (8, "third", None, False),
        (10, "a paragraph", None, False),
        (11, "of two", None, False),
    ]
    assert [(u.line, u.raw) for u in document.unparsed_timeline] == [(12, "25:00 - no such time")]


def test_the_due_date_is_the_first_after_due_or_deadline():
    text = ("## Actions\n\n- [ ] a @x deadline 2026-01-02, due 2026-03-04\n"
            "- [ ] b @x due 2026-05-06 deadline 2026-07-08\n- [ ] c @x Deadline: 2026-09-10\n"
            "- [ ] d @x no date\n- [x] e @x due soon, deadline on 2026-11-12\n")
    document = parse_document(text, PROFILE, "UTC")
    assert [(a.text[0], a.due, a.done) for a in document.actions] == [
        ("a", date(2026, 1, 2), False),
        ("b", date(2026, 5, 6), False),
        ("c", date(2026, 9, 10), False),
        ("d", None, False),
        ("e", date(2026, 11, 12), True),
    ]
