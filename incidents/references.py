"""Merge requests and commits an incident document cites, and whether each is the cause or the fix."""
from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from incidents.markup import URL, path_start
from incidents.sections import CAUSE_SECTIONS, FIX_SECTIONS, Span
from incidents.timeline import TimelineEntry


@dataclass(frozen=True)
class Reference:
    """A merge request or commit the document cites; role says if it is the cause or the fix."""

    kind: str  # "merge_request" | "commit"
    ref: str
    line: int
    section: str | None
    role: str | None  # "cause" | "fix" | None


_MR_REF = re.compile(
    rf"(?P<url>{URL}/(?:pull|pulls|-/merge_requests|merge_requests)/\d+)\b"
    r"|(?<![\w!\]\\])(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?!(?P<num>\d+)\b"
    r"|\b(?:PR|pull request|merge request|MR)\s*(?P<pr>(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#\d+)\b",
    re.I,
)
# What the third form of _MR_REF starts with: no line without one of these cites `PR #12`.
_PR_WORD = re.compile(r"\b(?:PR|pull request|merge request|MR)", re.I)
_COMMIT_REF = re.compile(rf"(?P<url>{URL}/(?:-/)?commits?/[0-9a-f]{{7,40}})\b", re.I)
_CAUSE_WORDS = re.compile(r"\b(?:caus(?:ed|e|ing)|introduc(?:ed|ing)|broke|regress(?:ion|ed))\b", re.I)
_FIX_WORDS = re.compile(r"\b(?:fix(?:ed|es)?|resolv(?:ed|es)|revert(?:ed|s)?|mitigat(?:ed|es))\b", re.I)
# The literal starts of _PR_WORD, _FIX_WORDS and _CAUSE_WORDS, to skip those searches on most lines.
# Each is a plain alternation, searched in a lowered line (one regex search, not one `in` per stem).
_PR_WORDS = re.compile("pr|pull request|merge request|mr")
_FIX_STEMS = re.compile("fix|resolv|revert|mitigat")
_CAUSE_STEMS = re.compile("caus|introduc|broke|regress")
_TAG_ROLES = {"impact-start": "cause", "mitigated": "fix", "resolved": "fix"}


def read_references(
    tokens: Sequence[Token], spans: Sequence[Span], timeline: Sequence[TimelineEntry]
) -> tuple[Reference, ...]:
    """Merge requests and commit URLs cited in the document's text (not in code blocks)."""
    starts = [(span.section.line, span.section.name) for span in spans]
    tag_roles = {entry.line: _TAG_ROLES[entry.tag] for entry in timeline if entry.tag in _TAG_ROLES}
    references: list[Reference] = []
    for first, content in [(token.map[0], token.content) for token in tokens
                           if token.type == "inline" and token.map is not None]:
        for offset, raw in enumerate(content.split("\n")):
            lower = raw.lower() if raw.isascii() else None
            found = _cited(raw, lower)
            if not found:
                continue
            line = first + offset + 1
            section = _section_at(starts, line)
            role = tag_roles.get(line) or _role(raw, section, lower)
            references.extend(Reference(kind, ref, line, section, role) for kind, ref in found)
    return tuple(references)


def _cited(raw: str, lower: str | None = None) -> list[tuple[str, str]]:
    """(kind, ref) of the merge requests, then the commits, one line cites (`lower`: see _lowered).

    Each pattern runs only where its literal part is (`!`, `://` or a PR word): on a long body,
    running them over every line was most of the time spent outside the parser.
    """
    lower = _lowered(raw, lower)
    found: list[tuple[str, str]] = []
    has_url = "://" in raw
    has_pr_word = _may_hold(lower, _PR_WORDS) and _PR_WORD.search(raw) is not None
    # Without a URL or a PR word only `path!12` can match, and not before the path ahead of the first `!`.
    start = 0 if has_url or has_pr_word else path_start(raw, "!")
    if start >= 0:
        for match in _MR_REF.finditer(raw, start):
            ref = match.group("url") or match.group("pr") or f"{match.group('path') or ''}!{match.group('num')}"
            found.append(("merge_request", ref))
    if has_url:
        found.extend(("commit", match.group("url")) for match in _COMMIT_REF.finditer(raw))
    return found


def _section_at(starts: Sequence[tuple[int, str]], line: int) -> str | None:
    position = bisect.bisect_right(starts, (line, "\U0010ffff"))
    return starts[position - 1][1] if position else None


def _lowered(raw: str, lower: str | None) -> str | None:
    """A line's lower case if it is ASCII (None if not); `lower` when the caller has it already.

    Lowered once per line for the three patterns' `_may_hold`, not once per pattern.
    """
    return lower if lower is not None or not raw.isascii() else raw.lower()


def _may_hold(lower: str | None, stems: re.Pattern[str]) -> bool:
    """Whether an IGNORECASE pattern starting with one of `stems` can match a line whose lower case is `lower`:
    on ASCII text, only if the lower case holds one (None, text that is not ASCII, may fold otherwise, so
    it always may)."""
    return lower is None or stems.search(lower) is not None


def _role(raw: str, section: str | None, lower: str | None = None) -> str | None:
    """Whether a line cites the cause or the fix: its own words first, then its section."""
    lower = _lowered(raw, lower)
    if _may_hold(lower, _FIX_STEMS) and _FIX_WORDS.search(raw):
        return "fix"
    if _may_hold(lower, _CAUSE_STEMS) and _CAUSE_WORDS.search(raw):
        return "cause"
    if section in CAUSE_SECTIONS:
        return "cause"
    if section in FIX_SECTIONS:
        return "fix"
    return None
