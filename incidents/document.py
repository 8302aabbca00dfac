"""The incident document: the issue body parsed into sections, timeline, whys, root cause,
action items, taxonomy and merge-request references, each with its line number.

Pure: text in, values out. Structure comes from a CommonMark parse (markdown-it-py);
regular expressions only ever look at one line or one inline text. Each part is read by its
own module (sections, timeline, analysis, action_items, references); this one puts them together.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from incidents.action_items import ActionItem, read_actions
from incidents.analysis import Taxonomy, Why, read_root_cause, read_taxonomy, read_whys
from incidents.markup import collector_paused, normalize_text, parse_markdown
from incidents.profiles import Profile
from incidents.references import Reference, read_references
from incidents.sections import (
    ACTION_SECTIONS,
    TIMELINE_SECTIONS,
    WHYS_SECTIONS,
    Section,
    Span,
    first_written,
    index_sections,
    sections_for,
    skeleton_texts,
    split_sections,
)
from incidents.timeline import TimelineEntry, UnparsedLine, read_timeline, timeline_zone

# The `/incident` header's line: a paragraph, never a heading, so it fills no section of a profile.
DECLARED_LABEL = "**What went wrong:** "


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
        """The merge requests the document cites."""
        return tuple(r for r in self.references if r.kind == "merge_request")

    @property
    def commits(self) -> tuple[Reference, ...]:
        """The commits the document cites."""
        return tuple(r for r in self.references if r.kind == "commit")


def parse_document(
    text: str, profile: Profile, timezone: str | None = None, skeleton: str | None = None
) -> IncidentDocument:
    """Parse an incident issue body. Never raises; anything unreadable is simply not found.

    `timezone` is the repository's IANA zone for entries without an offset (UTC when None).
    `skeleton` is the profile's postmortem template: a section still holding exactly its
    skeleton text counts as a placeholder.
    """
    with collector_paused():
        return _parse(normalize_text(text), profile, timezone, skeleton)


def _parse(text: str, profile: Profile, timezone: str | None, skeleton: str | None) -> IncidentDocument:
    zone, zone_name, configured = timeline_zone(timezone)
    tokens = parse_markdown(text)
    lines = text.split("\n")
    spans = split_sections(tokens, lines, profile, skeleton_texts(skeleton, profile) if skeleton else {})
    sections, duplicates, by_name = index_sections(spans)

    timeline_span = first_written(by_name, TIMELINE_SECTIONS)
    timeline, unparsed = read_timeline(timeline_span.tokens if timeline_span else None, zone,
                                       timeline_span.found if timeline_span else None)
    taxonomy = read_taxonomy(spans, by_name)
    root_cause, root_cause_line = read_root_cause(by_name, taxonomy)
    return IncidentDocument(
        sections=MappingProxyType(sections),
        duplicate_sections=tuple(duplicates),
        timeline=timeline,
        unparsed_timeline=unparsed,
        whys=read_whys([by_name[name] for name in sections_for(profile, WHYS_SECTIONS) if name in by_name]),
        root_cause=root_cause,
        root_cause_line=root_cause_line,
        actions=read_actions(first_written(by_name, sections_for(profile, ACTION_SECTIONS))),
        taxonomy=taxonomy,
        references=read_references(tokens, spans, timeline),
        timezone=zone_name,
        timezone_configured=configured,
        declared=_declared(lines, spans),
    )


def _declared(lines: Sequence[str], spans: Sequence[Span]) -> str | None:
    """The text of the `/incident` header's `**What went wrong:**` line, above the first section."""
    first = spans[0].section.line - 1 if spans else len(lines)
    found = next((line for line in lines[:first] if line.startswith(DECLARED_LABEL)), None)
    return found[len(DECLARED_LABEL):].strip() or None if found else None
