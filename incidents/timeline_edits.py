"""Adding a timeline entry: `- HH:MM - [tag] text` under its date heading, in time order."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from incidents.document import IncidentDocument, parse_document
from incidents.editing import (
    BULLET,
    ParsedBody,
    append_section,
    append_to_section,
    body_start,
    one_line,
    parse_body,
    place,
    top_blocks,
)
from incidents.markup import as_text
from incidents.profiles import Profile
from incidents.sections import TIMELINE_SECTIONS
from incidents.timeline import read_date_heading, timeline_zone  # the parser's own readings: never disagree

# English month names on purpose: strftime("%B") follows the machine's locale.
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def date_heading(day: date) -> str:
    """The bot's date heading, e.g. `**December 01, 2026:**`: reference/004 asks for a two-digit day."""
    return f"**{MONTH_NAMES[day.month - 1]} {day.day:02d}, {day.year}:**"


def _entry_line(local: datetime, text: str, tag: str | None) -> str:
    tag_part = f"[{one_line(tag)}] " if tag and str(tag).strip() else ""
    return f"- {local:%H:%M} - {tag_part}{one_line(text)}"


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


def _timeline_units(parsed: ParsedBody, start: int, end: int) -> list[_Unit]:
    """The section's headings and entries in order, with the lines each spans."""
    entries = {entry.line - 1: entry for entry in parsed.doc.timeline}
    tokens, body = parsed.tokens, parsed.body
    units: list[_Unit] = []
    for index, token, (first, stop) in top_blocks(parsed, start, end):
        last = min(stop, end)
        inline = tokens[index + 1] if index + 1 < len(tokens) and tokens[index + 1].type == "inline" else None
        if token.type == "heading_open":
            day = read_date_heading(inline.content) if inline is not None else None
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
        day = read_date_heading(raw)
        if day:
            units.append(_Unit("heading", line, line + 1, day=day))
        elif line in entries:
            units.append(_Unit("line", line, line + 1, at=entries[line].at))
        elif units and units[-1].kind == "line":
            units[-1].end = line + 1
        else:
            units.append(_Unit("other", line, line + 1))
    return units


def _item_units(parsed: ParsedBody, list_index: int, end: int, entries: dict) -> list[_Unit]:
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
        bullet = BULLET.match(body.lines[first]) if first < len(body.lines) else None
        marker = bullet.group("indent") + bullet.group("marker") if bullet else None
        day = read_date_heading(inline.content.split("\n")[0]) if inline is not None else None
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
            earlier = [u for u in dated if u.at is not None and u.at <= local]
            if earlier:
                return _after(earlier[-1], line)  # after entries with the same time
            if dated:
                return _before(dated[0], line)
            return unit.end, [line], True
    later = next((u for u in units if (u.kind == "heading" and u.day is not None and u.day > day)
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
    text_in = as_text(body)
    if not isinstance(at, datetime):
        return text_in
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # the events we get are UTC; never guess otherwise
    zone = timeline_zone(timezone)[0]
    local = at.astimezone(zone).replace(second=0, microsecond=0)
    line = _entry_line(local, text, tag)
    parsed = parse_body(text_in, profile, timezone)
    section = parsed.doc.section(*TIMELINE_SECTIONS)
    if section is None:
        append_section(parsed, profile, TIMELINE_SECTIONS[0], [date_heading(local.date()), "", line])
        return parsed.body.text()

    start = body_start(parsed, section)
    end = max(start, section.end_line)
    units = _timeline_units(parsed, start, end)
    index, block, pad = _timeline_place(units, local, line, parsed.body.content_end(start, end))
    place(parsed, index, block, pad)
    edited = parsed.body.text()
    # Placing an entry among hand-written ones is a judgement; accept it only if every other
    # entry still reads the same time and the new one reads its own. Otherwise append it.
    expected = _timeline_times(parsed.doc) + Counter([local])
    if _timeline_times(parse_document(edited, profile, timezone)) == expected:
        return edited
    fallback = parse_body(text_in, profile, timezone)
    append_to_section(fallback, section, [date_heading(local.date()), "", line])
    return fallback.body.text()
