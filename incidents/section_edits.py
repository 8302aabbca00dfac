"""Edits that write a whole line or section: the taxonomy line, the postmortem's missing sections,
and the lines the bot keeps up to date between its markers."""
from __future__ import annotations

import re
from collections.abc import Sequence

from incidents.editing import (
    ATX_HEADING,
    DEFAULT_HEADING,
    ParsedBody,
    append_section,
    append_to_section,
    heading_marks,
    one_line,
    parse_body,
    place,
)
from incidents.markup import HTML_COMMENT, as_text
from incidents.profiles import Profile
from incidents.sections import TAXONOMY_END_SECTIONS, TAXONOMY_SECTION
from incidents.taxonomy import TREE_SEPARATOR, normalize_term

TAXONOMY_LABEL = "Taxonomy:"
GENERATED_START = "<!-- incident-desk:{key} -->"
GENERATED_END = "<!-- /incident-desk:{key} -->"

_TAXONOMY_LINE = re.compile(r"^[*_`\s]*taxonomy(?:\s+(?:term|tree))?[*_`\s]*:(?P<value>.*)$", re.I)
_CONTAINER_PREFIX = re.compile(r"^(?:[ \t]*>)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?")


# --- taxonomy -------------------------------------------------------------------------------

def _taxonomy_label_line(parsed: ParsedBody) -> int | None:
    """An existing `Taxonomy:` line whose value is still empty (a template's), 0-based."""
    tokens = parsed.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.map or index == 0 or tokens[index - 1].type != "paragraph_open":
            continue
        for offset, raw in enumerate(token.content.split("\n")):
            match = _TAXONOMY_LINE.match(raw)
            if match and not HTML_COMMENT.sub("", match.group("value")).strip("*_` \t"):
                return token.map[0] + offset
    return None


def set_taxonomy(body: str, profile: Profile, terms: Sequence[str]) -> str:
    """The body with `Taxonomy: A < B < C`, replacing the taxonomy line it already has.

    Without one, the line ends the Taxonomy section, else the Conclusion, else the root-cause
    section, else the document; a document with no sections at all gets a Taxonomy section so
    the parser can find the line.
    """
    text_in = as_text(body)
    names = [normalize_term(as_text(term)) for term in (terms or ())]
    names = [name for name in names if name]
    if not names:
        return text_in
    line = f"{TAXONOMY_LABEL} {f' {TREE_SEPARATOR} '.join(names)}"
    parsed = parse_body(text_in, profile)
    lines = parsed.body.lines
    index = parsed.doc.taxonomy.line - 1 if parsed.doc.taxonomy else _taxonomy_label_line(parsed)
    if index is not None and 0 <= index < len(lines):
        prefix = _CONTAINER_PREFIX.match(lines[index])  # every group is optional: it always matches
        lines[index] = (prefix.group(0) if prefix else "") + line
        return parsed.body.text()
    for name in (TAXONOMY_SECTION, *TAXONOMY_END_SECTIONS):
        section = parsed.doc.sections.get(name)
        if section is not None:
            append_to_section(parsed, section, [line])
            return parsed.body.text()
    if parsed.doc.sections:
        place(parsed, parsed.body.content_end(0, len(lines)), [line])
    else:
        append_section(parsed, profile, TAXONOMY_SECTION, [line])
    return parsed.body.text()


# --- postmortem -----------------------------------------------------------------------------

def _skeleton_blocks(skeleton: str, profile: Profile) -> list[tuple[str, list[str]]]:
    """(section name, its lines from heading to last text) for each section of the skeleton."""
    parsed = parse_body(as_text(skeleton), profile)
    lines = parsed.body.lines
    blocks = []
    for section in sorted(parsed.doc.sections.values(), key=lambda s: s.line):
        start = section.line - 1
        end = parsed.body.content_end(start, max(section.end_line, section.line))
        blocks.append((section.name, lines[start:max(end, start + 1)]))
    return blocks


def _relevel(block: list[str], marks: str | None) -> list[str]:
    """The block with its heading at the document's level."""
    match = ATX_HEADING.match(block[0]) if block else None
    if not match or marks is None:
        return block
    return [block[0][:match.start(1)] + marks + block[0][match.end(1):], *block[1:]]


def fill_postmortem(body: str, profile: Profile, skeleton: str) -> str:
    """The body with every required section it lacks, taken from the profile's skeleton.

    Each missing section goes before the next skeleton section the body has (so the skeleton's
    order holds), or at the end. Existing text is kept; a complete body comes back unchanged.
    """
    text_in = as_text(body)
    parsed = parse_body(text_in, profile)
    present = parsed.doc.sections
    blocks = [(name, lines) for name, lines in _skeleton_blocks(skeleton, profile) if name in profile.required]
    known = {name for name, _lines in blocks}
    blocks += [(name, [f"{DEFAULT_HEADING} {name}"]) for name in profile.required if name not in known]
    if all(name in present for name, _lines in blocks):
        return text_in

    marks = heading_marks(parsed, profile) if present else None
    end = parsed.body.content_end(0, len(parsed.body.lines))
    inserts: dict[int, list[list[str]]] = {}
    order = [name for name, _lines in blocks]
    for position, (name, lines) in enumerate(blocks):
        if name in present:
            continue
        following = next((present[n] for n in order[position + 1:] if n in present), None)
        index = following.line - 1 if following is not None else end
        inserts.setdefault(index, []).append(_relevel(list(lines), marks))
    for index in sorted(inserts, reverse=True):  # bottom up, so earlier indexes stay valid
        joined: list[str] = []
        for block in inserts[index]:
            joined += ([""] if joined else []) + block
        place(parsed, index, joined)
    return parsed.body.text()



# --- lines the bot keeps up to date ---------------------------------------------------------


def set_generated_lines(body: str, profile: Profile, section_name: str, key: str, lines: Sequence[str]) -> str:
    """The body with `lines` between the bot's `key` markers: replaced where the markers already are,
    else added at the end of the section (which is created at the end of the document if missing).
    What people wrote around the markers is never touched."""
    text_in = as_text(body)
    start, end = GENERATED_START.format(key=key), GENERATED_END.format(key=key)
    block = [start, *(one_line(line) for line in lines), end]
    parsed = parse_body(text_in, profile)
    rows = parsed.body.lines
    first = next((i for i, row in enumerate(rows) if row.strip() == start), None)
    last = next((i for i, row in enumerate(rows) if row.strip() == end and first is not None and i > first), None)
    if first is not None and last is not None:
        parsed.body.lines[first:last + 1] = block
        parsed.body.ends[first:last + 1] = [parsed.body.eol] * (len(block) - 1) + [parsed.body.ends[last]]
        return parsed.body.text()
    section = parsed.doc.sections.get(section_name)
    if section is None:
        append_section(parsed, profile, section_name, block)
    else:
        append_to_section(parsed, section, block)
    return parsed.body.text()


def generated_lines(body: str, key: str) -> list[str] | None:
    """The lines the bot wrote between its `key` markers, markers included (line endings aside); None
    without both markers."""
    rows = [row.strip() for row in body.splitlines()]
    start, end = GENERATED_START.format(key=key), GENERATED_END.format(key=key)
    if start not in rows:
        return None
    first = rows.index(start)
    return rows[first:rows.index(end, first) + 1] if end in rows[first:] else None
