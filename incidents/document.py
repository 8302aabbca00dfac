"""The incident document: the issue body parsed into sections, timeline, whys, root cause,
action items, taxonomy and merge-request references, each with its line number.

Pure: text in, values out. Structure comes from a CommonMark parse (markdown-it-py);
regular expressions only ever look at one line or one inline text.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from incidents.profiles import Profile
from incidents.taxonomy import looks_like_tree, parse_tree

# Timeline tags with a meaning for the metrics; others are kept as written.
TIMELINE_TAGS = ("impact-start", "detected", "mitigated", "resolved")

# Which canonical sections hold which part of the postmortem, first match wins.
TIMELINE_SECTIONS = ("Timeline",)
WHYS_SECTIONS = ("Five whys", "Root cause analysis", "Cause")
ACTION_SECTIONS = ("Actions", "Corrective actions")
ROOT_CAUSE_SECTION = "Root cause"
# A bare taxonomy line may end these sections (reference/001 puts it in the Conclusion).
TAXONOMY_END_SECTIONS = ("Conclusion", "Root cause", "Root cause analysis", "Cause")
TAXONOMY_SECTION = "Taxonomy"
# A merge request or commit cited in these sections is the incident's cause or its fix.
CAUSE_SECTIONS = ("Cause", "Root cause", "Root cause analysis", "Five whys", "Fault", "Lead-up")
FIX_SECTIONS = ("Solution", "Recovery", "Response")

NO_RESPONSE = "No response"  # what a GitHub issue form writes for an empty field: _No response_


@dataclass(frozen=True)
class Section:
    """One section of the document: its heading and the raw Markdown below it."""

    name: str
    heading: str
    line: int
    text: str
    is_placeholder: bool
    end_line: int = 0
    checked: tuple[str, ...] = ()  # labels of ticked checkboxes, e.g. an issue form's components


@dataclass(frozen=True)
class TimelineEntry:
    """A timeline line that parsed: when it happened, what happened, and its tag if any."""

    at: datetime | None
    text: str
    tag: str | None
    line: int
    raw: str
    has_offset: bool


@dataclass(frozen=True)
class UnparsedLine:
    """A timeline line that looks like an entry but could not be read as one."""

    line: int
    raw: str


@dataclass(frozen=True)
class Why:
    """One step of the five whys."""

    text: str
    line: int


@dataclass(frozen=True)
class ActionItem:
    """A follow-up action: done when ticked or when its linked issue is closed."""

    text: str
    done: bool
    owner: str | None
    due: date | None
    linked_issue: str | None
    line: int


@dataclass(frozen=True)
class Taxonomy:
    """A taxonomy term, or a tree with the principal failure first."""

    terms: tuple[str, ...]
    line: int
    raw: str


@dataclass(frozen=True)
class Reference:
    """A merge request or commit the document cites; role says if it is the cause or the fix."""

    kind: str  # "merge_request" | "commit"
    ref: str
    line: int
    section: str | None
    role: str | None  # "cause" | "fix" | None


@dataclass(frozen=True)
class IncidentDocument:
    """Everything the checks and the bot read from an incident's body."""

    sections: Mapping[str, Section] = field(default_factory=dict, hash=False)
    duplicate_sections: tuple[Section, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    unparsed_timeline: tuple[UnparsedLine, ...] = ()
    whys: tuple[Why, ...] = ()
    root_cause: str | None = None
    root_cause_line: int | None = None
    actions: tuple[ActionItem, ...] = ()
    taxonomy: Taxonomy | None = None
    references: tuple[Reference, ...] = ()
    timezone: str = "UTC"
    timezone_configured: bool = False
    declared: str | None = None  # what went wrong, from `/incident`'s header above the sections

    def section(self, *names: str) -> Section | None:
        """The first of the named sections that the document has."""
        for name in names:
            if name in self.sections:
                return self.sections[name]
        return None

    @property
    def merge_requests(self) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.kind == "merge_request")

    @property
    def commits(self) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.kind == "commit")


# The `/incident` header's line: a paragraph, never a heading, so it fills no section of a profile.
DECLARED_LABEL = "**What went wrong:** "

# --- single-line patterns -------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")],
        start=1,
    )
    for name in names
}
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DATE_HEADINGS = (
    re.compile(_WEEKDAY + r"(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})", re.I),
    re.compile(_WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4})", re.I),
    re.compile(_WEEKDAY + r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})", re.I),
)
_ENTRY = re.compile(
    r"^[*_`]*(?:(?P<date>\d{4}-\d{1,2}-\d{1,2})(?:T|\s+))?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<offset>Z|(?:UTC|GMT)(?:\s*[+\-\u2212]\d{1,2}(?::?\d{2})?)?|[+\-\u2212]\d{2}(?::?\d{2})?)?"
    r"[*_`]*\s*[-\u2013\u2014]\s*(?P<text>\S.*)$"
)
# Something that starts like a time or a date-time: a malformed entry rather than prose.
_ENTRY_LIKE = re.compile(r"^[*_`]*(?:\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}[:.h]\d{2}\b)")
_OFFSET = re.compile(r"(?P<sign>[+\-\u2212])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$")
_TAG = re.compile(r"^\[(?P<tag>[A-Za-z][A-Za-z _-]{0,30})\](?![(\[:])\s*(?P<text>.*)$")
_CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\](?:\s+|$)")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)

_OWNER = re.compile(r"(?<![\w.@/`])@(?P<login>[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:/[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")
_DUE = re.compile(r"\b(?:due|deadline)(?:\s+(?:by|on)|\s*:)?\s*(?P<date>\d{4}-\d{1,2}-\d{1,2})\b", re.I)
_URL = r"https?://[^\s<>()\[\]]+?"
_ISSUE_REF = re.compile(
    rf"(?P<url>{_URL}/(?:-/)?(?:issues|work_items)/\d+)\b"
    r"|(?<![\w/#&!])(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?#(?P<num>\d+)\b"
)
_MR_REF = re.compile(
    rf"(?P<url>{_URL}/(?:pull|pulls|-/merge_requests|merge_requests)/\d+)\b"
    r"|(?<![\w!\]\\])(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?!(?P<num>\d+)\b"
    r"|\b(?:PR|pull request|merge request|MR)\s*(?P<pr>(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#\d+)\b",
    re.I,
)
_COMMIT_REF = re.compile(rf"(?P<url>{_URL}/(?:-/)?commits?/[0-9a-f]{{7,40}})\b", re.I)
_CAUSE_WORDS = re.compile(r"\b(?:caus(?:ed|e|ing)|introduc(?:ed|ing)|broke|regress(?:ion|ed))\b", re.I)
_FIX_WORDS = re.compile(r"\b(?:fix(?:ed|es)?|resolv(?:ed|es)|revert(?:ed|s)?|mitigat(?:ed|es))\b", re.I)
_TAXONOMY_LINE = re.compile(r"^\s*taxonomy(?:\s+(?:term|tree))?\s*:\s*(?P<value>.*)$", re.I)
_ROOT_CAUSE_LINE = re.compile(r"^\s*root\s+cause\s*:\s*(?P<text>.*)$", re.I)

_MARKDOWN = MarkdownIt("commonmark").use(front_matter_plugin)


# --- entry point ----------------------------------------------------------------------

def parse_document(
    text: str, profile: Profile, timezone: str | None = None, skeleton: str | None = None
) -> IncidentDocument:
    """Parse an incident issue body. Never raises; anything unreadable is simply not found.

    `timezone` is the repository's IANA zone for entries without an offset (UTC when None).
    `skeleton` is the profile's postmortem template: a section still holding exactly its
    skeleton text counts as a placeholder.
    """
    text = normalize_text(text)
    zone, zone_name, configured = _zone(timezone)
    try:
        tokens = _MARKDOWN.parse(text)
    except RecursionError:  # pathological nesting: treat as an empty body rather than crash
        tokens = []
    lines = text.split("\n")
    skeleton_texts = _skeleton_texts(skeleton, profile) if skeleton else {}
    spans = _split_sections(tokens, lines, profile, skeleton_texts)
    sections: dict[str, Section] = {}
    duplicates: list[Section] = []
    for span in spans:
        if span.section.name in sections:
            duplicates.append(span.section)
        else:
            sections[span.section.name] = span.section
    by_name = {span.section.name: span for span in reversed(spans)}  # first occurrence wins

    timeline, unparsed = _timeline(_first(by_name, TIMELINE_SECTIONS), zone)
    taxonomy = _taxonomy(spans, by_name)
    root_cause, root_cause_line = _root_cause(by_name, taxonomy)
    return IncidentDocument(
        sections=MappingProxyType(sections),
        duplicate_sections=tuple(duplicates),
        timeline=timeline,
        unparsed_timeline=unparsed,
        whys=_whys([by_name[name] for name in sections_for(profile, WHYS_SECTIONS) if name in by_name]),
        root_cause=root_cause,
        root_cause_line=root_cause_line,
        actions=_actions(_first(by_name, sections_for(profile, ACTION_SECTIONS))),
        taxonomy=taxonomy,
        references=_references(tokens, spans, timeline),
        timezone=zone_name,
        timezone_configured=configured,
        declared=_declared(lines, spans),
    )


def _declared(lines: Sequence[str], spans: Sequence[_Span]) -> str | None:
    """The text of the `/incident` header's `**What went wrong:**` line, above the first section."""
    first = spans[0].section.line - 1 if spans else len(lines)
    found = next((line for line in lines[:first] if line.startswith(DECLARED_LABEL)), None)
    return found[len(DECLARED_LABEL):].strip() or None if found else None


def sections_for(profile: Profile, names: Sequence[str]) -> tuple[str, ...]:
    """The sections that can hold a part, the ones this profile requires first."""
    return tuple(sorted(names, key=lambda name: name not in profile.required))


def normalize_text(text: str) -> str:
    """Line endings and NULs as CommonMark treats them, so our line numbers match the parser's."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def _zone(name: str | None) -> tuple[tzinfo, str, bool]:
    """The configured zone, or UTC (and 'not configured') when missing or not an IANA name."""
    if name:
        try:
            return ZoneInfo(name), name, True
        except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            pass
    return timezone.utc, "UTC", False


# --- sections -------------------------------------------------------------------------

@dataclass
class _Span:
    """A section and the tokens of its body."""

    section: Section
    tokens: Sequence[Token]


def _split_sections(
    tokens: list[Token], lines: list[str], profile: Profile, skeleton_texts: Mapping[str, str]
) -> list[_Span]:
    starts: list[tuple[int, str, str, int]] = []  # token index, name, heading, level
    current: tuple[str, int] | None = None
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0 or index + 1 >= len(tokens):
            continue
        heading = tokens[index + 1].content.strip()
        level = int(token.tag[1:]) if token.tag[1:].isdigit() else 6
        canonical = profile.canonical(heading)
        if canonical is None and current is not None:
            # A deeper unknown heading (or a date heading in the timeline) belongs to its section.
            if level > current[1] or (current[0] in TIMELINE_SECTIONS and _date_heading(heading)):
                continue
        name = canonical or _raw_name(heading)
        starts.append((index, name, heading, level))
        current = (name, level)

    spans = []
    for position, (index, name, heading, _level) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(tokens)
        open_token = tokens[index]
        heading_line = (open_token.map or [0, 1])[0]
        body_start = (open_token.map or [0, 1])[1]
        body_end = (tokens[end].map or [len(lines)])[0] if end < len(tokens) else len(lines)
        body_tokens = tokens[index + 3:end]  # heading_open, inline, heading_close
        body = "\n".join(lines[body_start:body_end]).strip()
        content = _content_text(body_tokens)
        placeholder = (
            content in ("", NO_RESPONSE)
            or (name in skeleton_texts and _squash(body) == skeleton_texts[name])
        )
        section = Section(
            name=name,
            heading=heading,
            line=heading_line + 1,
            text=body,
            is_placeholder=placeholder,
            end_line=max(body_end, heading_line + 1),
            checked=_checked(body_tokens),
        )
        spans.append(_Span(section, body_tokens))
    return spans


def _raw_name(heading: str) -> str:
    """An unknown heading keeps its own words as its name, without emphasis or a trailing colon."""
    return " ".join(re.sub(r"[*_`]+", "", heading).split()).rstrip(":").strip() or heading


def _squash(text: str) -> str:
    return " ".join(text.split())


def _skeleton_texts(skeleton: str, profile: Profile) -> dict[str, str]:
    """Section name -> the skeleton's text for it, whitespace-folded for comparison."""
    skeleton = normalize_text(skeleton)
    spans = _split_sections(_MARKDOWN.parse(skeleton), skeleton.split("\n"), profile, {})
    return {span.section.name: _squash(span.section.text) for span in spans}


def _first(by_name: Mapping[str, _Span], names: Sequence[str]) -> _Span | None:
    for name in names:
        span = by_name.get(name)
        if span is not None and not span.section.is_placeholder:
            return span
    return None


def _content_text(tokens: Sequence[Token]) -> str:
    """The words a reader sees, without HTML comments or markup; empty for a placeholder."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline":
            parts.extend(text for _offset, text in _plain_lines(token))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        elif token.type == "html_block":
            parts.append(_COMMENT.sub("", token.content))
    return " ".join(" ".join(parts).split())


def _plain_lines(inline: Token) -> list[tuple[int, str]]:
    """(line offset within the inline, visible text) for each line of an inline token."""
    lines: list[tuple[int, str]] = []
    offset, parts = 0, []
    for child in inline.children or ():
        if child.type in ("softbreak", "hardbreak"):
            lines.append((offset, "".join(parts)))
            offset, parts = offset + 1, []
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "html_inline":
            offset += child.content.count("\n")  # a comment spanning lines still moves the line
    lines.append((offset, "".join(parts)))
    return lines


def _inlines(tokens: Sequence[Token]) -> Iterator[tuple[Token, Token | None, Token | None]]:
    """Each inline token with the block that holds it and the list item it opens, if any."""
    items: list[Token] = []
    for index, token in enumerate(tokens):
        if token.type == "list_item_open":
            items.append(token)
        elif token.type == "list_item_close":
            if items:
                items.pop()
        elif token.type == "inline":
            parent = tokens[index - 1] if index else None
            item = None
            if (items and parent is not None and parent.type == "paragraph_open"
                    and parent.map and items[-1].map and parent.map[0] == items[-1].map[0]):
                item = items[-1]
            yield token, parent, item


def _checked(tokens: Sequence[Token]) -> tuple[str, ...]:
    labels = []
    for inline, _parent, item in _inlines(tokens):
        if item is not None:
            match = _CHECKBOX.match(inline.content)
            if match and match.group("mark") in "xX":
                labels.append(_COMMENT.sub("", inline.content[match.end():]).split("\n")[0].strip())
    return tuple(labels)


# --- timeline -------------------------------------------------------------------------

def _date_heading(text: str) -> date | None:
    """The date of a timeline date heading such as `**June 25, 2021:**`, else None."""
    text = re.sub(r"[*_#]+", "", text).strip().rstrip(":").strip()
    if len(text) > 40:
        return None
    for pattern in _DATE_HEADINGS:
        match = pattern.fullmatch(text)
        if match:
            month = match.group("month")
            number = int(month) if month.isdigit() else _MONTHS.get(month.lower())
            try:
                return date(int(match.group("year")), number or 0, int(match.group("day")))
            except ValueError:
                return None
    return None


def _offset(text: str | None) -> tzinfo | None:
    if not text:
        return None
    text = text.strip().upper()
    if text in ("Z", "UTC", "GMT"):
        return timezone.utc
    match = _OFFSET.search(text)
    if not match:
        return None
    minutes = int(match.group("hours")) * 60 + int(match.group("minutes") or 0)
    if minutes >= 24 * 60:
        return None
    sign = 1 if match.group("sign") == "+" else -1
    return timezone(timedelta(minutes=sign * minutes))


def _entry(raw: str, line: int, day: date | None, zone: tzinfo) -> TimelineEntry | UnparsedLine | None:
    """One timeline line: an entry, a malformed entry, or None when it is not an entry at all."""
    match = _ENTRY.match(raw)
    if not match:
        return UnparsedLine(line, raw) if _ENTRY_LIKE.match(raw) else None
    offset = _offset(match.group("offset"))
    if match.group("offset") and offset is None:
        return UnparsedLine(line, raw)
    try:
        if match.group("date"):
            day = date.fromisoformat("%04d-%02d-%02d" % tuple(int(p) for p in match.group("date").split("-")))
        if day is None:
            return UnparsedLine(line, raw)
        at = datetime(
            day.year, day.month, day.day, int(match.group("hour")), int(match.group("minute")),
            int(match.group("second") or 0), tzinfo=offset or zone,
        )
    except ValueError:
        return UnparsedLine(line, raw)
    text, tag = match.group("text").strip(), None
    tagged = _TAG.match(text)
    if tagged:
        tag = "-".join(tagged.group("tag").lower().replace("_", " ").split())
        text = tagged.group("text").strip()
    return TimelineEntry(at=at, text=text, tag=tag, line=line, raw=raw, has_offset=offset is not None)


def _timeline_lines(tokens: Sequence[Token]) -> Iterator[tuple[int, str, bool, bool]]:
    """(line, text, starts a list item, continues the previous line) for each timeline line."""
    for inline, parent, item in _inlines(tokens):
        if inline.map is None:
            continue
        is_heading = parent is not None and parent.type == "heading_open"
        for offset, raw in enumerate(_COMMENT.sub("", inline.content).split("\n")):
            yield inline.map[0] + offset + 1, raw.strip(), item is not None and offset == 0 and not is_heading, offset > 0
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            first = token.map[0] + (1 if token.type == "fence" else 0)
            for offset, raw in enumerate(token.content.split("\n")):
                yield first + offset + 1, raw.strip(), False, False


def _timeline(span: _Span | None, zone: tzinfo) -> tuple[tuple[TimelineEntry, ...], tuple[UnparsedLine, ...]]:
    if span is None:
        return (), ()
    entries: list[TimelineEntry] = []
    unparsed: list[UnparsedLine] = []
    day: date | None = None
    previous: TimelineEntry | None = None
    for line, raw, is_item, continues in sorted(_timeline_lines(span.tokens), key=lambda x: x[0]):
        if not raw:
            previous = None
            continue
        heading_day = _date_heading(raw)
        if heading_day:
            day, previous = heading_day, None
            continue
        found = _entry(raw, line, day, zone)
        if isinstance(found, TimelineEntry):
            entries.append(found)
            previous = found
            if found.at is not None and not found.has_offset:
                day = found.at.date()
        elif found is None and continues and previous is not None:
            # A wrapped line of the entry above it.
            previous = replace(previous, text=f"{previous.text} {raw}")
            entries[-1] = previous
        elif found is not None or is_item:
            unparsed.append(found if found is not None else UnparsedLine(line, raw))
            previous = None
    return tuple(entries), tuple(unparsed)


# --- whys, root cause, actions, taxonomy -----------------------------------------------

def _whys(spans: Sequence[_Span]) -> tuple[Why, ...]:
    """The longest first numbered list among the sections (ties: the profile's own section)."""
    found = [_numbered_list(span) for span in spans]
    return max(found, key=len, default=())


def _numbered_list(span: _Span) -> tuple[Why, ...]:
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
                text = " ".join(" ".join(text for _o, text in _plain_lines(token)).split())
                if text:
                    whys.append(Why(text, item.map[0] + 1))
    return tuple(whys)


def _paragraph_lines(span: _Span) -> Iterator[tuple[int, str]]:
    """(line, visible text) for each non-empty line of the section's paragraphs and items."""
    for inline, parent, _item in _inlines(span.tokens):
        if inline.map is None or parent is None or parent.type == "heading_open":
            continue
        for offset, text in _plain_lines(inline):
            if text.strip():
                yield inline.map[0] + offset + 1, text.strip()


def _root_cause(by_name: Mapping[str, _Span], taxonomy: Taxonomy | None) -> tuple[str | None, int | None]:
    """The root cause: the Root cause section, else a `Root cause: …` line in the analysis."""
    span = _first(by_name, (ROOT_CAUSE_SECTION,))
    if span is not None:
        found = [(line, text) for line, text in _paragraph_lines(span)
                 if taxonomy is None or line != taxonomy.line]
        if found:
            return " ".join(text for _line, text in found), found[0][0]
    for name in WHYS_SECTIONS:
        span = _first(by_name, (name,))
        if span is None:
            continue
        for line, text in _paragraph_lines(span):
            match = _ROOT_CAUSE_LINE.match(text)
            if match and match.group("text").strip():
                return match.group("text").strip(), line
    return None, None


def _actions(span: _Span | None) -> tuple[ActionItem, ...]:
    """Task-list items anywhere in the section, and plain top-level list items."""
    if span is None:
        return ()
    actions = []
    for inline, _parent, item in _inlines(span.tokens):
        if item is None or item.map is None:
            continue
        content = _COMMENT.sub("", inline.content).strip()
        box = _CHECKBOX.match(content)
        if box is None and item.level != 1:
            continue  # nested plain bullets are notes on their action, not actions
        text = " ".join((content[box.end():] if box else content).split())
        if not text:
            continue
        actions.append(ActionItem(
            text=text,
            done=bool(box) and box.group("mark") in "xX",
            owner=_owner(text),
            due=_due(text),
            linked_issue=_linked_issue(text),
            line=item.map[0] + 1,
        ))
    return tuple(actions)


def _owner(text: str) -> str | None:
    match = _OWNER.search(text)
    return match.group("login") if match else None


def _due(text: str) -> date | None:
    match = _DUE.search(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.group("date").split("-")))
    except ValueError:
        return None


def _linked_issue(text: str) -> str | None:
    match = _ISSUE_REF.search(text)
    if not match:
        return None
    if match.group("url"):
        return match.group("url")
    return f"{match.group('path') or ''}#{match.group('num')}"


def _taxonomy(spans: Sequence[_Span], by_name: Mapping[str, _Span]) -> Taxonomy | None:
    """A `Taxonomy:` line anywhere, a Taxonomy section, or a bare term/tree ending a section."""
    for span in spans:
        for line, text in _paragraph_lines(span):
            match = _TAXONOMY_LINE.match(text)
            if match:
                terms = parse_tree(match.group("value"))
                if terms:
                    return Taxonomy(terms, line, text)
    span = _first(by_name, (TAXONOMY_SECTION,))
    if span is not None:
        for line, text in _paragraph_lines(span):
            terms = parse_tree(text)
            if terms:
                return Taxonomy(terms, line, text)
    for name in TAXONOMY_END_SECTIONS:
        span = _first(by_name, (name,))
        if span is None:
            continue
        found = list(_paragraph_lines(span))
        if found and looks_like_tree(found[-1][1]):
            return Taxonomy(parse_tree(found[-1][1]), found[-1][0], found[-1][1])
    return None


# --- references -----------------------------------------------------------------------

_TAG_ROLES = {"impact-start": "cause", "mitigated": "fix", "resolved": "fix"}


def _references(
    tokens: Sequence[Token], spans: Sequence[_Span], timeline: Sequence[TimelineEntry]
) -> tuple[Reference, ...]:
    """Merge requests and commit URLs cited in the document's text (not in code blocks)."""
    starts = [(span.section.line, span.section.name) for span in spans]
    tag_roles = {entry.line: _TAG_ROLES[entry.tag] for entry in timeline if entry.tag in _TAG_ROLES}
    references: list[Reference] = []
    for inline, parent, _item in _inlines(tokens):
        if inline.map is None:
            continue
        for offset, raw in enumerate(inline.content.split("\n")):
            line = inline.map[0] + offset + 1
            if "!" not in raw and "/" not in raw and "#" not in raw:
                continue  # cheap skip: nothing here can be a reference
            section = _section_at(starts, line)
            role = tag_roles.get(line) or _role(raw, section)
            for match in _MR_REF.finditer(raw):
                ref = match.group("url") or match.group("pr") or f"{match.group('path') or ''}!{match.group('num')}"
                references.append(Reference("merge_request", ref, line, section, role))
            for match in _COMMIT_REF.finditer(raw):
                references.append(Reference("commit", match.group("url"), line, section, role))
    return tuple(references)


def _section_at(starts: Sequence[tuple[int, str]], line: int) -> str | None:
    position = bisect.bisect_right(starts, (line, "\U0010ffff"))
    return starts[position - 1][1] if position else None


def _role(raw: str, section: str | None) -> str | None:
    """Whether a line cites the cause or the fix: its own words first, then its section."""
    if _FIX_WORDS.search(raw):
        return "fix"
    if _CAUSE_WORDS.search(raw):
        return "cause"
    if section in CAUSE_SECTIONS:
        return "cause"
    if section in FIX_SECTIONS:
        return "fix"
    return None
