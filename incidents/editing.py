"""Pure edits of an incident issue body: timeline entries, action items, ticks, taxonomy, postmortem.

Each edit inserts or changes only the lines it must; everything else stays byte-for-byte as the
person wrote it, CRLF line endings included. Sections are found with parse_document, so headings
match the profile's aliases at any level exactly as the checks read them. Nothing here raises:
where a body cannot be understood, the new text is appended where the parser will find it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

# The parser's own readings of a date heading and of the timezone setting, so that what the
# bot writes and what the checks read can never disagree.
from incidents.document import (
    ACTION_SECTIONS,
    TAXONOMY_END_SECTIONS,
    TAXONOMY_SECTION,
    TIMELINE_SECTIONS,
    IncidentDocument,
    Section,
    _date_heading,
    _zone,
    normalize_text,
    parse_document,
    sections_for,
)
from incidents.profiles import Profile
from incidents.taxonomy import TREE_SEPARATOR, normalize_term
from incidents.text import GITHUB_BODY_LIMIT

__all__ = [
    "GITHUB_BODY_LIMIT", "add_action_item", "add_timeline_entry", "date_heading", "fill_postmortem",
    "fits", "issue_key", "same_issue", "set_taxonomy", "tick_actions",
]

# English month names on purpose: strftime("%B") follows the machine's locale.
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
DEFAULT_HEADING = "##"
EMPTY_TEXT = "(no description)"  # an entry or item needs words, or the parser skips it
NO_RESPONSE_LINE = "_No response_"
# An empty comment ends a list in CommonMark without showing anything, so indented text that
# follows our new item stays the paragraph or heading it was.
LIST_END = "<!-- -->"
TAXONOMY_LABEL = "Taxonomy:"

_MARKDOWN = MarkdownIt("commonmark").use(front_matter_plugin)  # the same reading as document.py
_LINE_END = re.compile(r"(\r\n|\r|\n)")  # CommonMark's line endings, and no others (not U+2028)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)")
_BULLET = re.compile(r"^(?P<indent> {0,3})(?P<marker>[-*+])(?:[ \t]|$)")
_ITEM_START = re.compile(r"^(?P<prefix>(?:[ \t]*>)*[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)(?P<box>\[(?P<mark>[ xX])\](?=\s|$))?")
_CONTAINER_PREFIX = re.compile(r"^(?:[ \t]*>)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?")
_TAXONOMY_LINE = re.compile(r"^[*_`\s]*taxonomy(?:\s+(?:term|tree))?[*_`\s]*:(?P<value>.*)$", re.I)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_ISSUE_URL = re.compile(
    r"^https?://[^/\s]+/(?P<path>[^\s?#]+?)/(?:-/)?(?:issues|work_items)/(?P<num>\d+)/?(?:[?#]\S*)?$", re.I)
_ISSUE_SHORT = re.compile(r"^(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?#(?P<num>\d+)$")
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
class _Body:
    """The body split into lines and the exact line ending after each, so joins are lossless."""

    lines: list[str]
    ends: list[str]
    eol: str

    @classmethod
    def split(cls, text: str) -> "_Body":
        parts = _LINE_END.split(text)
        eol = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
        return cls(parts[0::2], parts[1::2] + [""], eol)

    def text(self) -> str:
        return "".join(line + end for line, end in zip(self.lines, self.ends))

    def is_blank(self, index: int) -> bool:
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
class _Parsed:
    """A body read three ways: as lines, as the incident document, and as Markdown tokens."""

    body: _Body
    doc: IncidentDocument
    tokens: list[Token]


def _as_text(body: object) -> str:
    if isinstance(body, str):
        return body
    return "" if body is None else str(body)


def _parse(text: str, profile: Profile, timezone: str | None = None) -> _Parsed:
    doc = parse_document(text, profile, timezone)
    try:
        tokens = _MARKDOWN.parse(normalize_text(text))
    except RecursionError:  # pathological nesting: document.py reads it as empty too
        tokens = []
    return _Parsed(_Body.split(text), doc, tokens)


def _one_line(text: object) -> str:
    """User text as one line that cannot open an HTML comment and swallow the rest of the body."""
    text = " ".join(_as_text(text).split()).replace("<!--", "&lt;!--")
    return text or EMPTY_TEXT


# --- placing new lines ----------------------------------------------------------------------

def _body_start(parsed: _Parsed, section: Section) -> int:
    """The first line below a section's heading (a setext heading has two lines)."""
    for token in parsed.tokens:
        if (token.type == "heading_open" and token.level == 0 and token.map
                and token.map[0] == section.line - 1):
            return token.map[1]
    return min(section.line, len(parsed.body.lines))


def _top_blocks(parsed: _Parsed, start: int, end: int) -> list[tuple[int, Token]]:
    """(token index, token) for each top-level block that starts in [start, end)."""
    return [
        (index, token) for index, token in enumerate(parsed.tokens)
        if token.level == 0 and token.nesting >= 0 and token.map and start <= token.map[0] < end
    ]


def _terminator(parsed: _Parsed, index: int) -> str | None:
    """The line that closes an unclosed fence or HTML block running over `index`, if any.

    Such a block runs to the end of the body, so anything appended after it would be code or
    hidden HTML; closing it first changes nothing a reader sees in what was there.
    """
    lines = parsed.body.lines
    for token in parsed.tokens:
        if token.level or not token.map or token.type not in ("fence", "html_block"):
            continue
        first, last = token.map
        if not first < index <= last:
            continue
        if token.type == "fence":
            raw = lines[last - 1].expandtabs(4) if last - 1 > first and last - 1 < len(lines) else ""
            # A closing fence is indented at most three columns (CommonMark); a tab is four.
            # Only spaces and tabs count as blank around it, not every character Python calls white space.
            closing = raw.strip(" \t\r\n") if len(raw) - len(raw.lstrip(" ")) <= 3 else ""
            mark = token.markup or "```"
            if not (closing and set(closing) == {mark[0]} and len(closing) >= len(mark)):
                return mark
            return None
        content = token.content.lstrip()
        for start, end in _HTML_BLOCK_ENDS:
            if start.match(content):
                return None if end in content else end
        raw = _RAW_HTML_BLOCK.match(content)
        if raw and not re.search(r"</(?:script|pre|style|textarea)>", content, re.I):
            return f"</{raw.group(1).lower()}>"
    return None


def _place(parsed: _Parsed, index: int, block: Sequence[str], pad_before: bool = True) -> None:
    """Insert a block of lines before line `index`, with the blank lines Markdown needs around it.

    A blank line goes before it (when asked and the line above has text) and after it when the
    next line has text that is not a list item, which would otherwise run into the block.
    """
    body = parsed.body
    new = list(block)
    terminator = _terminator(parsed, index)
    if terminator is not None:
        new = [terminator, "", *new]
    elif pad_before and index > 0 and not body.is_blank(index - 1):
        new = ["", *new]
    if index < len(body.lines) and not body.is_blank(index) and not _BULLET.match(body.lines[index]):
        new.append("")
    last = next((line for line in reversed(new) if line.strip()), "")
    if _BULLET.match(last) and _continues_item(body, index, last):
        new += ["", LIST_END]
    body.insert(index, new)


def _continues_item(body: _Body, index: int, item: str) -> bool:
    """Whether the next text below `index` is indented enough to become part of a new list item."""
    bullet = _BULLET.match(item)
    column = len(bullet.group("indent")) + 2
    for line in body.lines[index:]:
        if line.strip():
            width = len(line) - len(line.lstrip(" \t")) + line[: len(line) - len(line.lstrip(" \t"))].count("\t") * 3
            return width >= column
    return False


def _append_to_section(parsed: _Parsed, section: Section, block: Sequence[str]) -> None:
    """Add a block after the last text of a section."""
    start = _body_start(parsed, section)
    _place(parsed, parsed.body.content_end(start, max(start, section.end_line)), block)


def _heading_marks(parsed: _Parsed, profile: Profile) -> str:
    """The `#`s the document's own sections use, so a new section sits at the same level."""
    sections = sorted(parsed.doc.sections.values(), key=lambda s: s.line)
    for section in sorted(sections, key=lambda s: s.name not in profile.required):
        if 0 < section.line <= len(parsed.body.lines):
            match = _ATX.match(parsed.body.lines[section.line - 1])
            if match:
                return match.group(1)
    return DEFAULT_HEADING


def _append_section(parsed: _Parsed, profile: Profile, name: str, block: Sequence[str]) -> None:
    """Add a new section with the given body at the end of the document."""
    end = parsed.body.content_end(0, len(parsed.body.lines))
    _place(parsed, end, [f"{_heading_marks(parsed, profile)} {name}", "", *block])


# --- timeline -------------------------------------------------------------------------------

def date_heading(day: date) -> str:
    """The bot's date heading, e.g. `**December 01, 2026:**`: reference/004 asks for a two-digit day."""
    return f"**{MONTH_NAMES[day.month - 1]} {day.day:02d}, {day.year}:**"


def _entry_line(local: datetime, text: str, tag: str | None) -> str:
    tag_part = f"[{_one_line(tag)}] " if tag and str(tag).strip() else ""
    return f"- {local:%H:%M} - {tag_part}{_one_line(text)}"


@dataclass
class _Unit:
    """One thing in the Timeline section: a date heading, an entry, or anything else."""

    kind: str  # "heading" | "item" | "line" | "other"
    start: int
    end: int
    day: date | None = None  # of a heading
    at: datetime | None = None  # of an entry
    free: bool = False  # an entry before any date heading
    marker: str | None = None  # indent and bullet of a bullet-list item


def _timeline_units(parsed: _Parsed, start: int, end: int) -> list[_Unit]:
    """The section's headings and entries in order, with the lines each spans."""
    entries = {entry.line - 1: entry for entry in parsed.doc.timeline}
    tokens, body = parsed.tokens, parsed.body
    units: list[_Unit] = []
    for index, token in _top_blocks(parsed, start, end):
        first, last = token.map[0], min(token.map[1], end)
        inline = tokens[index + 1] if index + 1 < len(tokens) and tokens[index + 1].type == "inline" else None
        if token.type == "heading_open":
            day = _date_heading(inline.content) if inline is not None else None
            units.append(_Unit("heading" if day else "other", first, last, day=day))
        elif token.type == "paragraph_open" and inline is not None:
            units.extend(_paragraph_units(inline.content.split("\n"), first, entries))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            units.extend(_item_units(parsed, index, end, entries))
        else:
            units.append(_Unit("other", first, body.content_end(first, last)))
    heading_seen = False
    for unit in units:
        heading_seen = heading_seen or unit.kind == "heading"
        unit.free = not heading_seen
    return units


def _paragraph_units(lines: Sequence[str], first: int, entries: dict) -> list[_Unit]:
    """One unit per paragraph line; a line that is neither entry nor heading wraps the one above."""
    units: list[_Unit] = []
    for offset, raw in enumerate(lines):
        line = first + offset
        day = _date_heading(raw)
        if day:
            units.append(_Unit("heading", line, line + 1, day=day))
        elif line in entries:
            units.append(_Unit("line", line, line + 1, at=entries[line].at))
        elif units and units[-1].kind == "line":
            units[-1].end = line + 1
        else:
            units.append(_Unit("other", line, line + 1))
    return units


def _item_units(parsed: _Parsed, list_index: int, end: int, entries: dict) -> list[_Unit]:
    """One unit per item of the list opened at `list_index`."""
    tokens, body = parsed.tokens, parsed.body
    units = []
    for index in range(list_index + 1, len(tokens)):
        token = tokens[index]
        if token.level == 0:
            break  # the list's closing token
        if token.type != "list_item_open" or token.level != 1 or not token.map:
            continue
        first = token.map[0]
        last = max(first + 1, body.content_end(first, min(token.map[1], end)))
        inline = tokens[index + 2] if index + 2 < len(tokens) and tokens[index + 2].type == "inline" else None
        bullet = _BULLET.match(body.lines[first]) if first < len(body.lines) else None
        marker = bullet.group("indent") + bullet.group("marker") if bullet else None
        day = _date_heading(inline.content.split("\n")[0]) if inline is not None else None
        if day:
            units.append(_Unit("heading", first, last, day=day))
        elif first in entries:
            units.append(_Unit("item", first, last, at=entries[first].at, marker=marker))
        else:
            units.append(_Unit("other", first, last, marker=marker))
    return units


def _after(unit: _Unit, line: str) -> tuple[int, list[str], bool]:
    """Insert after an entry: inside its list when it is a bullet item, else as its own block."""
    if unit.kind == "item" and unit.marker:
        return unit.end, [unit.marker + line[1:]], False
    return unit.end, [line], True


def _before(unit: _Unit, line: str) -> tuple[int, list[str], bool]:
    if unit.kind == "item" and unit.marker:
        return unit.start, [unit.marker + line[1:]], False
    return unit.start, [line], True


def _timeline_place(units: Sequence[_Unit], local: datetime, line: str,
                    content_end: int) -> tuple[int, list[str], bool]:
    """Where the entry goes: under its date's heading in time order, or under a new heading."""
    day = local.date()
    for position, unit in enumerate(units):
        if unit.kind == "heading" and unit.day == day:
            group = []
            for other in units[position + 1:]:
                if other.kind == "heading":
                    break
                group.append(other)
            dated = [u for u in group if u.at is not None]
            earlier = [u for u in dated if u.at <= local]
            if earlier:
                return _after(earlier[-1], line)  # after entries with the same time
            if dated:
                return _before(dated[0], line)
            return unit.end, [line], True
    later = next((u for u in units if (u.kind == "heading" and u.day > day)
                  or (u.at is not None and u.free and u.at > local)), None)
    block = [date_heading(day), "", line]
    return (later.start if later else content_end), block, True


def _timeline_times(doc: IncidentDocument) -> Counter:
    return Counter(entry.at for entry in doc.timeline)


def add_timeline_entry(body: str, profile: Profile, at: datetime, text: str, tag: str | None = None,
                       timezone: str | None = None) -> str:
    """The body with `- HH:MM - [tag] text` under its `**Month DD, YYYY:**` heading, in time order.

    `at` is shown in the repository's timezone (UTC when None or unknown). A missing Timeline
    section is added at the end of the body.
    """
    text_in = _as_text(body)
    if not isinstance(at, datetime):
        return text_in
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt_timezone.utc)  # the events we get are UTC; never guess otherwise
    zone = _zone(timezone)[0]
    local = at.astimezone(zone).replace(second=0, microsecond=0)
    line = _entry_line(local, text, tag)
    parsed = _parse(text_in, profile, timezone)
    section = parsed.doc.section(*TIMELINE_SECTIONS)
    if section is None:
        _append_section(parsed, profile, TIMELINE_SECTIONS[0], [date_heading(local.date()), "", line])
        return parsed.body.text()

    start = _body_start(parsed, section)
    end = max(start, section.end_line)
    units = _timeline_units(parsed, start, end)
    index, block, pad = _timeline_place(units, local, line, parsed.body.content_end(start, end))
    _place(parsed, index, block, pad)
    edited = parsed.body.text()
    # Placing an entry among hand-written ones is a judgement; accept it only if every other
    # entry still reads the same time and the new one reads its own. Otherwise append it.
    expected = _timeline_times(parsed.doc) + Counter([local])
    if _timeline_times(parse_document(edited, profile, timezone)) == expected:
        return edited
    fallback = _parse(text_in, profile, timezone)
    _append_to_section(fallback, section, [date_heading(local.date()), "", line])
    return fallback.body.text()


# --- action items ---------------------------------------------------------------------------

def _action_section(doc: IncidentDocument, profile: Profile) -> Section | None:
    """The section the parser reads actions from: the first written one, else the first there."""
    names = sections_for(profile, ACTION_SECTIONS)
    present = [doc.sections[name] for name in names if name in doc.sections]
    written = [section for section in present if not section.is_placeholder]
    return (written or present or [None])[0]


def _action_line(text: str, owner: str | None, due: date | None, link: str | None) -> str:
    parts = [_one_line(text)]
    owner = _as_text(owner).strip().lstrip("@")
    if owner and f"@{owner}".lower() not in parts[0].lower():
        parts.append(f"@{owner}")
    if isinstance(due, date):
        parts.append(f"due {due:%Y-%m-%d}")
    if link and _as_text(link).strip():
        parts.append(_one_line(link))
    return "- [ ] " + " ".join(parts)


def add_action_item(body: str, profile: Profile, text: str, owner: str | None, due: date | None = None,
                    link: str | None = None) -> str:
    """The body with `- [ ] text @owner due YYYY-MM-DD link` as the last item of the actions section.

    The section is the profile's (Actions, or Corrective actions); it is added at the end when
    missing. In a section holding only placeholder text, comments stay and the item follows them;
    an issue form's `_No response_` is replaced by the item.
    """
    text_in = _as_text(body)
    parsed = _parse(text_in, profile)
    line = _action_line(text, owner, due, link)
    section = _action_section(parsed.doc, profile)
    if section is None:
        _append_section(parsed, profile, sections_for(profile, ACTION_SECTIONS)[0], [line])
        return parsed.body.text()

    start = _body_start(parsed, section)
    end = max(start, section.end_line)
    lines = parsed.body.lines
    if section.is_placeholder:
        for index in range(start, min(end, len(lines))):
            # A `_No response_` swallowed by an unclosed comment or fence is not the form's answer.
            if lines[index].strip() == NO_RESPONSE_LINE and _terminator(parsed, index) is None:
                lines[index] = line
                return parsed.body.text()
    last_item = _last_bullet_item(parsed, start, end)
    if last_item is not None:
        item_end, marker = last_item
        _place(parsed, item_end, [marker + line[1:]], pad_before=False)
    else:
        _append_to_section(parsed, section, [line])
    return parsed.body.text()


def _last_bullet_item(parsed: _Parsed, start: int, end: int) -> tuple[int, str] | None:
    """(line after its text, indent and bullet) of the last item of the section's last bullet list."""
    lists = [(index, token) for index, token in _top_blocks(parsed, start, end)
             if token.type == "bullet_list_open"]
    if not lists:
        return None
    list_index, list_token = lists[-1]
    list_end = min(list_token.map[1], end)
    last = None
    for token in parsed.tokens[list_index + 1:]:
        if token.level == 0:
            break
        if token.type == "list_item_open" and token.level == 1 and token.map:
            last = token
    if last is None:
        return None
    lines = parsed.body.lines
    bullet = _BULLET.match(lines[last.map[0]]) if last.map[0] < len(lines) else None
    if bullet is None:
        return None
    item_end = max(last.map[0] + 1, parsed.body.content_end(last.map[0], min(last.map[1], list_end)))
    return item_end, bullet.group("indent") + bullet.group("marker")


def issue_key(ref: str, home_repository: str | None = None) -> tuple[str | None, int] | None:
    """(repository path in lower case or None, number) for `#45`, `group/project#45` or an issue URL."""
    ref = _as_text(ref).strip().strip("<>")
    match = _ISSUE_URL.match(ref) or _ISSUE_SHORT.match(ref)
    if not match:
        return None
    path = match.group("path") or home_repository
    return (path.strip("/").lower() if path else None), int(match.group("num"))


def same_issue(a: str, b: str, home_repository: str | None = None) -> bool:
    """Whether two issue references name the same issue; `#45` is in `home_repository`."""
    key_a, key_b = issue_key(a, home_repository), issue_key(b, home_repository)
    if key_a is None or key_b is None:
        return _as_text(a).strip() == _as_text(b).strip() and bool(_as_text(a).strip())
    return key_a == key_b


def tick_actions(body: str, profile: Profile, linked_issue: str, done: bool = True,
                 home_repository: str | None = None) -> str:
    """The body with `[x]` (or `[ ]`) on every action item linked to `linked_issue`.

    A plain list item (no checkbox) linked to the issue gets `[x] ` when done.
    """
    text_in = _as_text(body)
    parsed = _parse(text_in, profile)
    lines = parsed.body.lines
    for action in parsed.doc.actions:
        if not action.linked_issue or not same_issue(action.linked_issue, linked_issue, home_repository):
            continue
        index = action.line - 1
        match = _ITEM_START.match(lines[index]) if 0 <= index < len(lines) else None
        if match is None:
            continue
        line = lines[index]
        if match.group("box"):
            if (match.group("mark") != " ") != bool(done):
                mark = "x" if done else " "
                lines[index] = line[:match.start("mark")] + mark + line[match.end("mark"):]
        elif done:
            lines[index] = line[:match.end("prefix")] + "[x] " + line[match.end("prefix"):]
    return parsed.body.text()


# --- taxonomy -------------------------------------------------------------------------------

def _taxonomy_label_line(parsed: _Parsed) -> int | None:
    """An existing `Taxonomy:` line whose value is still empty (a template's), 0-based."""
    tokens = parsed.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.map or index == 0 or tokens[index - 1].type != "paragraph_open":
            continue
        for offset, raw in enumerate(token.content.split("\n")):
            match = _TAXONOMY_LINE.match(raw)
            if match and not _COMMENT.sub("", match.group("value")).strip("*_` \t"):
                return token.map[0] + offset
    return None


def set_taxonomy(body: str, profile: Profile, terms: Sequence[str]) -> str:
    """The body with `Taxonomy: A < B < C`, replacing the taxonomy line it already has.

    Without one, the line ends the Taxonomy section, else the Conclusion, else the root-cause
    section, else the document; a document with no sections at all gets a Taxonomy section so
    the parser can find the line.
    """
    text_in = _as_text(body)
    names = [normalize_term(_as_text(term)) for term in (terms or ())]
    names = [name for name in names if name]
    if not names:
        return text_in
    line = f"{TAXONOMY_LABEL} {f' {TREE_SEPARATOR} '.join(names)}"
    parsed = _parse(text_in, profile)
    lines = parsed.body.lines
    index = parsed.doc.taxonomy.line - 1 if parsed.doc.taxonomy else _taxonomy_label_line(parsed)
    if index is not None and 0 <= index < len(lines):
        prefix = _CONTAINER_PREFIX.match(lines[index]).group(0)
        lines[index] = prefix + line
        return parsed.body.text()
    for name in (TAXONOMY_SECTION, *TAXONOMY_END_SECTIONS):
        section = parsed.doc.sections.get(name)
        if section is not None:
            _append_to_section(parsed, section, [line])
            return parsed.body.text()
    if parsed.doc.sections:
        _place(parsed, parsed.body.content_end(0, len(lines)), [line])
    else:
        _append_section(parsed, profile, TAXONOMY_SECTION, [line])
    return parsed.body.text()


# --- postmortem -----------------------------------------------------------------------------

def _skeleton_blocks(skeleton: str, profile: Profile) -> list[tuple[str, list[str]]]:
    """(section name, its lines from heading to last text) for each section of the skeleton."""
    parsed = _parse(_as_text(skeleton), profile)
    lines = parsed.body.lines
    blocks = []
    for section in sorted(parsed.doc.sections.values(), key=lambda s: s.line):
        start = section.line - 1
        end = parsed.body.content_end(start, max(section.end_line, section.line))
        blocks.append((section.name, lines[start:max(end, start + 1)]))
    return blocks


def _relevel(block: list[str], marks: str | None) -> list[str]:
    """The block with its heading at the document's level."""
    match = _ATX.match(block[0]) if block else None
    if not match or marks is None:
        return block
    return [block[0][:match.start(1)] + marks + block[0][match.end(1):], *block[1:]]


def fill_postmortem(body: str, profile: Profile, skeleton: str) -> str:
    """The body with every required section it lacks, taken from the profile's skeleton.

    Each missing section goes before the next skeleton section the body has (so the skeleton's
    order holds), or at the end. Existing text is kept; a complete body comes back unchanged.
    """
    text_in = _as_text(body)
    parsed = _parse(text_in, profile)
    present = parsed.doc.sections
    blocks = [(name, lines) for name, lines in _skeleton_blocks(skeleton, profile) if name in profile.required]
    known = {name for name, _lines in blocks}
    blocks += [(name, [f"{DEFAULT_HEADING} {name}"]) for name in profile.required if name not in known]
    if all(name in present for name, _lines in blocks):
        return text_in

    marks = _heading_marks(parsed, profile) if present else None
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
        _place(parsed, index, joined)
    return parsed.body.text()


# --- size -----------------------------------------------------------------------------------

def fits(body: str, limit: int = GITHUB_BODY_LIMIT) -> bool:
    """Whether a body is within the forge's limit (GitHub: 65,536 characters)."""
    return len(_as_text(body)) <= limit


# --- lines the bot keeps up to date ---------------------------------------------------------

GENERATED_START = "<!-- incident-desk:{key} -->"
GENERATED_END = "<!-- /incident-desk:{key} -->"


def set_generated_lines(body: str, profile: Profile, section_name: str, key: str, lines: Sequence[str]) -> str:
    """The body with `lines` between the bot's `key` markers: replaced where the markers already are,
    else added at the end of the section (which is created at the end of the document if missing).
    What people wrote around the markers is never touched."""
    text_in = _as_text(body)
    start, end = GENERATED_START.format(key=key), GENERATED_END.format(key=key)
    block = [start, *(_one_line(line) for line in lines), end]
    parsed = _parse(text_in, profile)
    rows = parsed.body.lines
    first = next((i for i, row in enumerate(rows) if row.strip() == start), None)
    last = next((i for i, row in enumerate(rows) if row.strip() == end and first is not None and i > first), None)
    if first is not None and last is not None:
        parsed.body.lines[first:last + 1] = block
        parsed.body.ends[first:last + 1] = [parsed.body.eol] * (len(block) - 1) + [parsed.body.ends[last]]
        return parsed.body.text()
    section = parsed.doc.sections.get(section_name)
    if section is None:
        _append_section(parsed, profile, section_name, block)
    else:
        _append_to_section(parsed, section, block)
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
