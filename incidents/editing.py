"""The editor the bot's body edits share: the body as lines, and where new lines may go.

Each edit inserts or changes only the lines it must; everything else stays byte-for-byte as the
person wrote it, CRLF line endings included. Sections are found with parse_document, so headings
match the profile's aliases at any level exactly as the checks read them. Nothing here raises:
where a body cannot be understood, the new text is appended where the parser will find it.
The edits themselves are in timeline_edits, action_edits and section_edits.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from incidents.document import IncidentDocument, parse_document
from incidents.markup import as_text, normalize_text, parse_markdown
from incidents.profiles import Profile
from incidents.sections import Section

DEFAULT_HEADING = "##"
EMPTY_TEXT = "(no description)"  # an entry or item needs words, or the parser skips it
# An empty comment ends a list in CommonMark without showing anything, so indented text that
# follows our new item stays the paragraph or heading it was.
LIST_END = "<!-- -->"

ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)")
BULLET = re.compile(r"^(?P<indent> {0,3})(?P<marker>[-*+])(?:[ \t]|$)")
_LINE_END = re.compile(r"(\r\n|\r|\n)")  # CommonMark's line endings, and no others (not U+2028)
# How each kind of HTML block that survives blank lines ends (CommonMark 4.6, kinds 1-5).
_HTML_BLOCK_ENDS = (
    (re.compile(r"<!--"), "-->"),
    (re.compile(r"<\?"), "?>"),
    (re.compile(r"<!\[CDATA\["), "]]>"),
    (re.compile(r"<![A-Za-z]"), ">"),
)
_RAW_HTML_BLOCK = re.compile(r"<(script|pre|style|textarea)(?=[\s>]|$)", re.I)


# --- the body as lines ----------------------------------------------------------------------

@dataclass
class BodyLines:
    """The body split into lines and the exact line ending after each, so joins are lossless."""

    lines: list[str]
    ends: list[str]
    eol: str

    @classmethod
    def split(cls, text: str) -> BodyLines:
        """The lines of a text, each with its own line ending; the body's usual one for new lines."""
        parts = _LINE_END.split(text)
        eol = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
        return cls(parts[0::2], parts[1::2] + [""], eol)

    def text(self) -> str:
        """The body again, with every line ending as it was."""
        return "".join(line + end for line, end in zip(self.lines, self.ends, strict=True))

    def is_blank(self, index: int) -> bool:
        """Whether line `index` exists and holds nothing but white space."""
        return 0 <= index < len(self.lines) and not self.lines[index].strip()

    def insert(self, index: int, new: Sequence[str]) -> None:
        """Insert lines before line `index` (at the end when index is past the last line)."""
        if not new:
            return
        if index >= len(self.lines):
            self.ends[-1] = self.eol  # the old last line now needs an ending; the body's own
            self.lines.extend(new)
            self.ends.extend([self.eol] * (len(new) - 1) + [""])
        else:
            self.lines[index:index] = list(new)
            self.ends[index:index] = [self.eol] * len(new)

    def content_end(self, start: int, end: int) -> int:
        """One past the last non-blank line in [start, end)."""
        index = min(end, len(self.lines))
        while index > start and self.is_blank(index - 1):
            index -= 1
        return index


@dataclass
class ParsedBody:
    """A body read three ways: as lines, as the incident document, and as Markdown tokens."""

    body: BodyLines
    doc: IncidentDocument
    tokens: list[Token]


def parse_body(text: str, profile: Profile, timezone: str | None = None) -> ParsedBody:
    """A body ready to edit: its lines, its document and its tokens, all of the same text."""
    return ParsedBody(BodyLines.split(text), parse_document(text, profile, timezone),
                      parse_markdown(normalize_text(text)))


def one_line(text: object) -> str:
    """User text as one line that cannot open an HTML comment and swallow the rest of the body."""
    text = " ".join(as_text(text).split()).replace("<!--", "&lt;!--")
    return text or EMPTY_TEXT


# --- placing new lines ----------------------------------------------------------------------

def body_start(parsed: ParsedBody, section: Section) -> int:
    """The first line below a section's heading (a setext heading has two lines)."""
    for token in parsed.tokens:
        if (token.type == "heading_open" and token.level == 0 and token.map
                and token.map[0] == section.line - 1):
            return token.map[1]
    return min(section.line, len(parsed.body.lines))


def top_blocks(parsed: ParsedBody, start: int, end: int) -> list[tuple[int, Token, tuple[int, int]]]:
    """(token index, token, its first line and one past its last) for each top-level block starting in [start, end)."""
    return [
        (index, token, (token.map[0], token.map[1])) for index, token in enumerate(parsed.tokens)
        if token.level == 0 and token.nesting >= 0 and token.map and start <= token.map[0] < end
    ]


def terminator(parsed: ParsedBody, index: int) -> str | None:
    """The line that closes an unclosed fence or HTML block running over `index`, if any.

    Such a block runs to the end of the body, so anything appended after it would be code or
    hidden HTML; closing it first changes nothing a reader sees in what was there.
    """
    for token in parsed.tokens:
        if token.level or not token.map or token.type not in ("fence", "html_block"):
            continue
        first, last = token.map
        if first < index <= last and token.type == "fence":
            return _fence_end(parsed.body.lines, token, first, last)
        if first < index <= last:
            return _html_block_end(token)
    return None


def _fence_end(lines: Sequence[str], token: Token, first: int, last: int) -> str | None:
    """The fence's own mark when the fence (lines [first, last)) is still open at its last line, else None."""
    raw = lines[last - 1].expandtabs(4) if last - 1 > first and last - 1 < len(lines) else ""
    # A closing fence is indented at most three columns (CommonMark); a tab is four.
    # Only spaces and tabs count as blank around it, not every character Python calls white space.
    closing = raw.strip(" \t\r\n") if len(raw) - len(raw.lstrip(" ")) <= 3 else ""
    mark = token.markup or "```"
    if not (closing and set(closing) == {mark[0]} and len(closing) >= len(mark)):
        return mark
    return None


def _html_block_end(token: Token) -> str | None:
    """What ends an HTML block that blank lines do not end, when the block has not ended yet."""
    content = token.content.lstrip()
    for start, end in _HTML_BLOCK_ENDS:
        if start.match(content):
            return None if end in content else end
    raw = _RAW_HTML_BLOCK.match(content)
    if raw and not re.search(r"</(?:script|pre|style|textarea)>", content, re.I):
        return f"</{raw.group(1).lower()}>"
    return None


def place(parsed: ParsedBody, index: int, block: Sequence[str], pad_before: bool = True) -> None:
    """Insert a block of lines before line `index`, with the blank lines Markdown needs around it.

    A blank line goes before it (when asked and the line above has text) and after it when the
    next line has text that is not a list item, which would otherwise run into the block.
    """
    body = parsed.body
    new = list(block)
    closing = terminator(parsed, index)
    if closing is not None:
        new = [closing, "", *new]
    elif pad_before and index > 0 and not body.is_blank(index - 1):
        new = ["", *new]
    if index < len(body.lines) and not body.is_blank(index) and not BULLET.match(body.lines[index]):
        new.append("")
    last = next((line for line in reversed(new) if line.strip()), "")
    if BULLET.match(last) and _continues_item(body, index, last):
        new += ["", LIST_END]
    body.insert(index, new)


def _continues_item(body: BodyLines, index: int, item: str) -> bool:
    """Whether the next text below `index` is indented enough to become part of a new list item."""
    bullet = BULLET.match(item)
    if bullet is None:
        return False
    column = len(bullet.group("indent")) + 2
    for line in body.lines[index:]:
        if line.strip():
            width = len(line) - len(line.lstrip(" \t")) + line[: len(line) - len(line.lstrip(" \t"))].count("\t") * 3
            return width >= column
    return False


def append_to_section(parsed: ParsedBody, section: Section, block: Sequence[str]) -> None:
    """Add a block after the last text of a section."""
    start = body_start(parsed, section)
    place(parsed, parsed.body.content_end(start, max(start, section.end_line)), block)


def heading_marks(parsed: ParsedBody, profile: Profile) -> str:
    """The `#`s the document's own sections use, so a new section sits at the same level."""
    sections = sorted(parsed.doc.sections.values(), key=lambda s: s.line)
    for section in sorted(sections, key=lambda s: s.name not in profile.required):
        if 0 < section.line <= len(parsed.body.lines):
            match = ATX_HEADING.match(parsed.body.lines[section.line - 1])
            if match:
                return match.group(1)
    return DEFAULT_HEADING


def append_section(parsed: ParsedBody, profile: Profile, name: str, block: Sequence[str]) -> None:
    """Add a new section with the given body at the end of the document."""
    end = parsed.body.content_end(0, len(parsed.body.lines))
    place(parsed, end, [f"{heading_marks(parsed, profile)} {name}", "", *block])
