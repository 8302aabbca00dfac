"""The sections of an incident document: which heading starts which section, and what each holds.

A heading the profile knows starts its canonical section; an unknown heading deeper than the
section above it (or a date heading in the Timeline) stays inside that section.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from markdown_it.token import Token

from incidents.markup import CHECKBOX, HTML_COMMENT, inlines, normalize_text, parse_markdown, shows_nothing
from incidents.profiles import Profile
from incidents.timeline import read_date_heading

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


Found = tuple[Token, "Token | None", "Token | None"]  # an inline, its block and the list item it opens


@dataclass
class Span:
    """A section, the tokens of its body, and their inlines (as markup.inlines finds them).

    The inlines are found once when the sections are split: the timeline, the actions, the analysis
    and the checkboxes all read them, and each walking the tokens again was a sixth of the reading.
    """

    section: Section
    tokens: Sequence[Token]
    found: Sequence[Found] = ()


def sections_for(profile: Profile, names: Sequence[str]) -> tuple[str, ...]:
    """The sections that can hold a part, the ones this profile requires first."""
    return tuple(sorted(names, key=lambda name: name not in profile.required))


def split_sections(
    tokens: list[Token], lines: list[str], profile: Profile, skeleton_texts: Mapping[str, str]
) -> list[Span]:
    """The document's sections in order, each with the tokens of its body."""
    starts = _section_starts(tokens, profile)
    spans = []
    for position, (index, name, heading) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(tokens)
        open_token = tokens[index]
        heading_line = (open_token.map or [0, 1])[0]
        body_start = (open_token.map or [0, 1])[1]
        body_end = (tokens[end].map or [len(lines)])[0] if end < len(tokens) else len(lines)
        body_tokens = tokens[index + 3:end]  # heading_open, inline, heading_close
        found = tuple(inlines(body_tokens))
        body = "\n".join(lines[body_start:body_end]).strip()
        placeholder = (
            shows_nothing(body_tokens, NO_RESPONSE)
            or (name in skeleton_texts and _squashes_to(body, skeleton_texts[name]))
        )
        section = Section(
            name=name,
            heading=heading,
            line=heading_line + 1,
            text=body,
            is_placeholder=placeholder,
            end_line=max(body_end, heading_line + 1),
            checked=_checked(found),
        )
        spans.append(Span(section, body_tokens, found))
    return spans


def _section_starts(tokens: list[Token], profile: Profile) -> list[tuple[int, str, str]]:
    """(token index, section name, heading) of each top-level heading that starts a section."""
    starts: list[tuple[int, str, str]] = []
    current: tuple[str, int] | None = None
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0 or index + 1 >= len(tokens):
            continue
        heading = tokens[index + 1].content.strip()
        level = int(token.tag[1:]) if token.tag[1:].isdigit() else 6
        canonical = profile.canonical(heading)
        if canonical is None and current is not None and _stays_inside(current, level, heading):
            continue
        name = canonical or _raw_name(heading)
        starts.append((index, name, heading))
        current = (name, level)
    return starts


def _stays_inside(current: tuple[str, int], level: int, heading: str) -> bool:
    """A deeper unknown heading (or a date heading in the timeline) belongs to its section."""
    name, current_level = current
    return level > current_level or (name in TIMELINE_SECTIONS and read_date_heading(heading) is not None)


def index_sections(spans: Sequence[Span]) -> tuple[dict[str, Section], list[Section], dict[str, Span]]:
    """Sections by name, the repeated ones, and spans by name; the first occurrence wins."""
    sections: dict[str, Section] = {}
    duplicates: list[Section] = []
    for span in spans:
        if span.section.name in sections:
            duplicates.append(span.section)
        else:
            sections[span.section.name] = span.section
    by_name = {span.section.name: span for span in reversed(spans)}
    return sections, duplicates, by_name


def first_written(by_name: Mapping[str, Span], names: Sequence[str]) -> Span | None:
    """The first of the named sections that holds more than a placeholder."""
    for name in names:
        span = by_name.get(name)
        if span is not None and not span.section.is_placeholder:
            return span
    return None


@lru_cache(maxsize=32)
def skeleton_texts(skeleton: str, profile: Profile) -> Mapping[str, str]:
    """Section name -> the skeleton's text for it, whitespace-folded for comparison.

    Kept per (skeleton, profile): `check` over many files, or the bot over many bodies, parses it once.
    """
    skeleton = normalize_text(skeleton)
    spans = split_sections(parse_markdown(skeleton), skeleton.split("\n"), profile, {})
    return MappingProxyType({span.section.name: _squash(span.section.text) for span in spans})


def _raw_name(heading: str) -> str:
    """An unknown heading keeps its own words as its name, without emphasis or a trailing colon."""
    return " ".join(re.sub(r"[*_`]+", "", heading).split()).rstrip(":").strip() or heading


def _squash(text: str) -> str:
    return " ".join(text.split())


def _squashes_to(text: str, squashed: str) -> bool:
    """Whether `_squash(text) == squashed`, splitting no more of a long text than `squashed` has words."""
    words = len(squashed.split(" ")) if squashed else 0
    parts = text.split(maxsplit=words)
    return len(parts) <= words and " ".join(parts) == squashed


def _checked(found: Sequence[Found]) -> tuple[str, ...]:
    """The labels of the ticked checkboxes among the section's list items."""
    labels = []
    for inline, _parent, item in found:
        if item is not None and inline.content.startswith("["):  # where CHECKBOX can match, and no regex call elsewhere
            match = CHECKBOX.match(inline.content)
            if match and match.group("mark") in "xX":
                labels.append(HTML_COMMENT.sub("", inline.content[match.end():]).split("\n")[0].strip())
    return tuple(labels)
