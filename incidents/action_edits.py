"""Adding an action item as the last item of the actions section, and ticking linked items."""
from __future__ import annotations

import re
from datetime import date

from incidents.action_items import same_issue
from incidents.document import IncidentDocument
from incidents.editing import (
    BULLET,
    ParsedBody,
    append_section,
    append_to_section,
    body_start,
    one_line,
    parse_body,
    place,
    terminator,
    top_blocks,
)
from incidents.markup import as_text
from incidents.profiles import Profile
from incidents.sections import ACTION_SECTIONS, Section, sections_for

NO_RESPONSE_LINE = "_No response_"

_ITEM_START = re.compile(
    r"^(?P<prefix>(?:[ \t]*>)*[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)(?P<box>\[(?P<mark>[ xX])\](?=\s|$))?"
)

def _action_section(doc: IncidentDocument, profile: Profile) -> Section | None:
    """The section the parser reads actions from: the first written one, else the first there."""
    names = sections_for(profile, ACTION_SECTIONS)
    present = [doc.sections[name] for name in names if name in doc.sections]
    written = [section for section in present if not section.is_placeholder]
    return (written or present)[0] if present else None


def _action_line(text: str, owner: str | None, due: date | None, link: str | None) -> str:
    parts = [one_line(text)]
    owner = as_text(owner).strip().lstrip("@")
    if owner and f"@{owner}".lower() not in parts[0].lower():
        parts.append(f"@{owner}")
    if isinstance(due, date):
        parts.append(f"due {due:%Y-%m-%d}")
    if link and as_text(link).strip():
        parts.append(one_line(link))
    return "- [ ] " + " ".join(parts)


def add_action_item(body: str, profile: Profile, text: str, owner: str | None, due: date | None = None,
                    link: str | None = None) -> str:
    """The body with `- [ ] text @owner due YYYY-MM-DD link` as the last item of the actions section.

    The section is the profile's (Actions, or Corrective actions); it is added at the end when
    missing. In a section holding only placeholder text, comments stay and the item follows them;
    an issue form's `_No response_` is replaced by the item.
    """
    text_in = as_text(body)
    parsed = parse_body(text_in, profile)
    line = _action_line(text, owner, due, link)
    section = _action_section(parsed.doc, profile)
    if section is None:
        append_section(parsed, profile, sections_for(profile, ACTION_SECTIONS)[0], [line])
        return parsed.body.text()

    start = body_start(parsed, section)
    end = max(start, section.end_line)
    lines = parsed.body.lines
    if section.is_placeholder:
        for index in range(start, min(end, len(lines))):
            # A `_No response_` swallowed by an unclosed comment or fence is not the form's answer.
            if lines[index].strip() == NO_RESPONSE_LINE and terminator(parsed, index) is None:
                lines[index] = line
                return parsed.body.text()
    last_item = _last_bullet_item(parsed, start, end)
    if last_item is not None:
        item_end, marker = last_item
        place(parsed, item_end, [marker + line[1:]], pad_before=False)
    else:
        append_to_section(parsed, section, [line])
    return parsed.body.text()


def _last_bullet_item(parsed: ParsedBody, start: int, end: int) -> tuple[int, str] | None:
    """(line after its text, indent and bullet) of the last item of the section's last bullet list."""
    lists = [(index, lines) for index, token, lines in top_blocks(parsed, start, end)
             if token.type == "bullet_list_open"]
    if not lists:
        return None
    list_index, (_list_start, list_stop) = lists[-1]
    list_end = min(list_stop, end)
    last = None
    for token in parsed.tokens[list_index + 1:]:
        if token.level == 0:
            break
        if token.type == "list_item_open" and token.level == 1 and token.map:
            last = token.map
    if last is None:
        return None
    lines = parsed.body.lines
    bullet = BULLET.match(lines[last[0]]) if last[0] < len(lines) else None
    if bullet is None:
        return None
    item_end = max(last[0] + 1, parsed.body.content_end(last[0], min(last[1], list_end)))
    return item_end, bullet.group("indent") + bullet.group("marker")


def tick_actions(body: str, profile: Profile, linked_issue: str, done: bool = True,
                 home_repository: str | None = None) -> str:
    """The body with `[x]` (or `[ ]`) on every action item linked to `linked_issue`.

    A plain list item (no checkbox) linked to the issue gets `[x] ` when done.
    """
    text_in = as_text(body)
    parsed = parse_body(text_in, profile)
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
