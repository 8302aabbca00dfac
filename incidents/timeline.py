"""The incident timeline: entries `HH:MM - text` under date headings, or with a full date-time.

Pure: the Timeline section's tokens in, entries and the lines that could not be read out.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from operator import itemgetter

from markdown_it.token import Token

from incidents import timezones
from incidents.markup import inlines, without_comments

# Timeline tags with a meaning for the metrics; others are kept as written.
TIMELINE_TAGS = ("impact-start", "detected", "mitigated", "resolved")


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


def timeline_zone(name: str | None) -> tuple[tzinfo, str, bool]:
    """The configured zone, or UTC (and 'not configured') when missing or not an IANA name."""
    if name and timezones.is_zone(name):
        return timezones.zone(name), name, True
    return UTC, "UTC", False


def read_date_heading(text: str) -> date | None:
    """The date of a timeline date heading such as `**June 25, 2021:**`, else None."""
    text = text.replace("*", "").replace("_", "").replace("#", "").strip().rstrip(":").strip()
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
        return UTC
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
    written_date, hour, minute, second, written_offset, text = match.group(
        "date", "hour", "minute", "second", "offset", "text")
    offset = _offset(written_offset)
    if written_offset and offset is None:
        return UnparsedLine(line, raw)
    try:
        if written_date:
            day = date.fromisoformat("{:04d}-{:02d}-{:02d}".format(*(int(p) for p in written_date.split("-"))))
        if day is None:
            return UnparsedLine(line, raw)
        at = datetime(day.year, day.month, day.day, int(hour), int(minute), int(second or 0), tzinfo=offset or zone)
    except ValueError:
        return UnparsedLine(line, raw)
    text, tag = text.strip(), None
    tagged = _TAG.match(text)
    if tagged:
        tag = "-".join(tagged.group("tag").lower().replace("_", " ").split())
        text = tagged.group("text").strip()
    return TimelineEntry(at=at, text=text, tag=tag, line=line, raw=raw, has_offset=offset is not None)


def _timeline_lines(
    tokens: Sequence[Token], found: Iterable[tuple[Token, Token | None, Token | None]]
) -> Iterator[tuple[int, str, bool, bool]]:
    """(line, text, starts a list item, continues the previous line) for each timeline line."""
    for inline, parent, item in found:
        if inline.map is None:
            continue
        is_heading = parent is not None and parent.type == "heading_open"
        content = without_comments(inline.content)
        if "\n" not in content:  # most entries: a line of their own
            yield inline.map[0] + 1, content.strip(), item is not None and not is_heading, False
            continue
        for offset, raw in enumerate(content.split("\n")):
            starts_item = item is not None and offset == 0 and not is_heading
            yield inline.map[0] + offset + 1, raw.strip(), starts_item, offset > 0
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            first = token.map[0] + (1 if token.type == "fence" else 0)
            for offset, raw in enumerate(token.content.split("\n")):
                yield first + offset + 1, raw.strip(), False, False


def read_timeline(
    tokens: Sequence[Token] | None, zone: tzinfo,
    found_inlines: Iterable[tuple[Token, Token | None, Token | None]] | None = None,
) -> tuple[tuple[TimelineEntry, ...], tuple[UnparsedLine, ...]]:
    """The entries of a Timeline section's tokens in order of lines, and the lines that did not read.

    `found_inlines` is what markup.inlines(tokens) yields, when the caller has it already.
    """
    if tokens is None:
        return (), ()
    entries: list[TimelineEntry] = []
    unparsed: list[UnparsedLine] = []
    day: date | None = None
    previous: TimelineEntry | None = None
    lines = _timeline_lines(tokens, inlines(tokens) if found_inlines is None else found_inlines)
    for line, raw, is_item, continues in sorted(lines, key=itemgetter(0)):
        if not raw:
            previous = None
            continue
        heading_day = read_date_heading(raw)
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
