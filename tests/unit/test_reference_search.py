"""The reference, owner and due-date searches start late in a line (at the first `!`, `#`, `@`, `due`) and
skip patterns whose words a line lacks; on every line they must find exactly what a search of the whole
line finds. Lines are built from fragments that sit at those edges: paths before markers, several
markers, URLs, PR words in any case, and the non-ASCII letters IGNORECASE folds onto ASCII (K, ſ, ı, İ)."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from incidents import action_items, references

FRAGMENTS = (
    "group/api", "a.b-c/d_e", "(", "x", "!12", "#34", "!x", "#", "@bob", "@", "due 2026-01-02", "DUE: 2026-1-2",
    "deadline on 2026-12-01", "\u017f", "\u212a", "PR #5", "pr group/x#7", "Merge Request !9",
    "https://gitlab.com/g/p/-/merge_requests/3", "http://x.io/y/z/issues/4", "https://h.io/o/r/commit/abcdef12",
    "caused", "FIXED", "Reverted", "\u0130", "\u0131", "mr", "é", " ", "/", "!", "!!7", "g/\u017fo!8", "due",
    "cau\u017fed", "bro\u212ae",
)
LINES = ["".join(parts) for parts in itertools.product(FRAGMENTS, repeat=3)]


def whole_line_cited(raw: str) -> list[tuple[str, str]]:
    found = [("merge_request", m.group("url") or m.group("pr") or f"{m.group('path') or ''}!{m.group('num')}")
             for m in references._MR_REF.finditer(raw)]
    return found + [("commit", m.group("url")) for m in references._COMMIT_REF.finditer(raw)]


def whole_line_role(raw: str, section: str | None) -> str | None:
    if references._FIX_WORDS.search(raw):
        return "fix"
    if references._CAUSE_WORDS.search(raw):
        return "cause"
    return "cause" if section == "Cause" else None


def whole_line_due(text: str) -> date | None:
    match = action_items.DUE.search(text)
    try:
        return date(*(int(part) for part in match.group("date").split("-"))) if match else None
    except ValueError:
        return None


def whole_line_issue(text: str) -> str | None:
    match = action_items.ISSUE_REF.search(text)
    if not match:
        return None
    return match.group("url") or f"{match.group('path') or ''}#{match.group('num')}"


@pytest.mark.parametrize("chunk", range(8))
def test_late_searches_find_what_whole_line_searches_find(chunk):
    for raw in LINES[chunk::8]:
        assert references._cited(raw) == whole_line_cited(raw), raw
        assert references._role(raw, None) == whole_line_role(raw, None), raw
        assert action_items._due(raw) == whole_line_due(raw), raw
        assert action_items._linked_issue(raw) == whole_line_issue(raw), raw
        owner = action_items.OWNER.search(raw)
        assert action_items._owner(raw) == (owner.group("login") if owner else None), raw


def test_the_fragments_reach_every_kind_of_match():
    cited = {kind for raw in LINES for kind, _ref in references._cited(raw)}
    assert cited == {"merge_request", "commit"}
    assert any(action_items._due(raw) for raw in LINES)
    assert any(action_items._linked_issue(raw) for raw in LINES)
    assert any(action_items._owner(raw) for raw in LINES)
    assert {references._role(raw, None) for raw in LINES} == {"fix", "cause", None}
