"""The analysis in an incident document: the five whys, the root cause and the taxonomy."""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from incidents.markup import plain_lines
from incidents.sections import (
    ROOT_CAUSE_SECTION,
    TAXONOMY_END_SECTIONS,
    TAXONOMY_SECTION,
    WHYS_SECTIONS,
    Span,
    first_written,
)
from incidents.taxonomy import looks_like_tree, parse_tree


@dataclass(frozen=True)
class Why:
    """One step of the five whys."""

    text: str
    line: int


@dataclass(frozen=True)
class Taxonomy:
    """A taxonomy term, or a tree with the principal failure first."""

    terms: tuple[str, ...]
    line: int
    raw: str


_TAXONOMY_LINE = re.compile(r"^\s*taxonomy(?:\s+(?:term|tree))?\s*:\s*(?P<value>.*)$", re.I)
_ROOT_CAUSE_LINE = re.compile(r"^\s*root\s+cause\s*:\s*(?P<text>.*)$", re.I)
# Source that shows other letters than its own: an entity (`&#116;`) or a %-escape in an autolink.
_DECODES_TO_LETTERS = re.compile(r"&[#A-Za-z]|%[0-9A-Fa-f]{2}")


def read_whys(spans: Sequence[Span]) -> tuple[Why, ...]:
    """The longest first numbered list among the sections (ties: the profile's own section)."""
    found = [_numbered_list(span) for span in spans]
    return max(found, key=len, default=())


def _numbered_list(span: Span) -> tuple[Why, ...]:
    whys: list[Why] = []
    in_list = False
    for index, token in enumerate(span.tokens):
        if token.type == "ordered_list_open" and token.level == 0:
            in_list = True
        elif token.type == "ordered_list_close" and token.level == 0:
            break
        elif in_list and token.type == "inline" and token.level == 3 and index >= 2:
            item = span.tokens[index - 2]
            if item.type == "list_item_open" and item.map:
                text = " ".join(" ".join(text for _o, text in plain_lines(token)).split())
                if text:
                    whys.append(Why(text, item.map[0] + 1))
    return tuple(whys)


def _paragraph_lines(span: Span, word: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, visible text) for each non-empty line of the section's paragraphs and items.

    With `word` (lower case), only the inlines whose source could show it, so the others are never
    inline-parsed.
    """
    for inline, parent, _item in span.found:
        if inline.map is None or parent is None or parent.type == "heading_open":
            continue
        if word is not None and not _may_show(inline.content, word):
            continue
        for offset, text in plain_lines(inline):
            if text.strip():
                yield inline.map[0] + offset + 1, text.strip()


def _may_show(source: str, word: str) -> bool:
    """Whether an inline's source can show `word`: its letters in order (markup such as `*`, a
    comment or a link's URL may stand between them), or an escape that decodes to letters."""
    if ("&" in source or "%" in source) and _DECODES_TO_LETTERS.search(source):
        return True
    source, position = source.lower(), 0
    for letter in word:
        position = source.find(letter, position) + 1
        if not position:
            return False
    return True


def read_root_cause(by_name: Mapping[str, Span], taxonomy: Taxonomy | None) -> tuple[str | None, int | None]:
    """The root cause: the Root cause section, else a `Root cause: …` line in the analysis."""
    span = first_written(by_name, (ROOT_CAUSE_SECTION,))
    if span is not None:
        found = [(line, text) for line, text in _paragraph_lines(span)
                 if taxonomy is None or line != taxonomy.line]
        if found:
            return " ".join(text for _line, text in found), found[0][0]
    for name in WHYS_SECTIONS:
        span = first_written(by_name, (name,))
        if span is None:
            continue
        for line, text in _paragraph_lines(span):
            match = _ROOT_CAUSE_LINE.match(text)
            if match and match.group("text").strip():
                return match.group("text").strip(), line
    return None, None


def read_taxonomy(spans: Sequence[Span], by_name: Mapping[str, Span]) -> Taxonomy | None:
    """A `Taxonomy:` line anywhere, a Taxonomy section, or a bare term/tree ending a section."""
    for span in spans:
        for line, text in _paragraph_lines(span, "taxonomy"):
            match = _TAXONOMY_LINE.match(text)
            if match:
                terms = parse_tree(match.group("value"))
                if terms:
                    return Taxonomy(terms, line, text)
    section = first_written(by_name, (TAXONOMY_SECTION,))
    if section is not None:
        for line, text in _paragraph_lines(section):
            terms = parse_tree(text)
            if terms:
                return Taxonomy(terms, line, text)
    for name in TAXONOMY_END_SECTIONS:
        ending = first_written(by_name, (name,))
        if ending is None:
            continue
        found = list(_paragraph_lines(ending))
        if found and looks_like_tree(found[-1][1]):
            return Taxonomy(parse_tree(found[-1][1]), found[-1][0], found[-1][1])
    return None
