"""A line lowered once by read_references reads as the line lowered by each search; path_start's
str.rstrip finds the start a walk back over the path characters finds."""
from __future__ import annotations

import itertools

import pytest

from incidents import references
from incidents.document import parse_document
from incidents.markup import path_start
from incidents.profiles import PROFILES

FRAGMENTS = ("group/api", "PR #5", "Merge Request !9", "pull request", "fixed", "Caused", "!12", "(", " ", "\u017f",
             "\u212a", "\u0130", "é", "mr", "broke", "https://gitlab.com/g/p/-/merge_requests/3", "#4", "a.b-c/d_e")
LINES = ["".join(parts) for parts in itertools.product(FRAGMENTS, repeat=3)]
PATH_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/\u212a\u017f\u0131\u0130")


def walked_back(text: str, marker: str) -> int:
    start = text.find(marker)
    while start > 0 and text[start - 1] in PATH_CHARACTERS:
        start -= 1
    return start


@pytest.mark.parametrize("chunk", range(4))
def test_a_line_lowered_by_the_caller_reads_as_one_lowered_here(chunk):
    for raw in LINES[chunk::4]:
        lower = raw.lower() if raw.isascii() else None
        assert references._cited(raw, lower) == references._cited(raw), raw
        for section in (None, "Cause", "Recovery"):
            assert references._role(raw, section, lower) == references._role(raw, section), raw


@pytest.mark.parametrize("text", ["", "!", "x!", "group/api!12", "(g/a!1) b/c!2", "\u017f\u212a!3", "a b!4", "é/x!5",
                                  "no marker", "/!6", "!7 then g/h!8"])
def test_path_start_is_where_the_path_before_the_first_marker_starts(text):
    assert path_start(text, "!") == walked_back(text, "!")


def test_references_keep_their_lines_sections_and_roles():
    text = ("## Timeline\n\n**June 25, 2021:**\n\n- 14:05 - [impact-start] deploy of !12\n"
            "- 14:20 - [mitigated] rolled back\n  in group/api!13\n\n## Root cause\n\nPR #7 caused it.\n\n"
            "## Resolution\n\nFixed by https://gitlab.com/g/p/-/merge_requests/9 and "
            "https://gitlab.com/g/p/-/commit/abcdef12\n")
    document = parse_document(text, PROFILES["timeline-rca-actions"], "UTC")
    assert [(r.kind, r.ref, r.line, r.section, r.role) for r in document.references] == [
        ("merge_request", "!12", 5, "Timeline", "cause"),
        ("merge_request", "group/api!13", 7, "Timeline", None),
        ("merge_request", "#7", 11, "Root cause analysis", "cause"),
        ("merge_request", "https://gitlab.com/g/p/-/merge_requests/9", 15, "Solution", "fix"),
        ("commit", "https://gitlab.com/g/p/-/commit/abcdef12", 15, "Solution", "fix"),
    ]
