"""What a blog post about an incident says (reference/002): the pure context, from the incident, its
parsed body, its linked merge requests and its metrics, as plain text. Rendering it in the sandbox
is `issue_templates.blog`'s part.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

# The parser's own patterns for an action's owner, due date and linked issue, and for an HTML
# comment, so what is taken out of the text is exactly what the parser read.
from incidents.action_items import DUE, ISSUE_REF, OWNER
from incidents.document import IncidentDocument
from incidents.markup import HTML_COMMENT
from incidents.metrics import Metrics, resolve_zone
from incidents.model import Incident, Link
from incidents.section_edits import GENERATED_END, GENERATED_START
from incidents.sections import Section
from issue_templates.blog_story import StoryLine, incident_duration, story_lines, summary, timeline_story, window

# Sections read for each part of the post, first written one wins. "What went wrong" is the
# GitHub incident form's field; the others are profile sections (incidents/profiles.py).
WHAT_HAPPENED_SECTIONS = ("What went wrong", "Summary", "Impact", "Timeline")
AFFECTED_SECTIONS = ("Impact",)
WHY_SECTIONS = ("Root cause", "Cause", "Root cause analysis")
CHANGE_SECTIONS = ("Solution",)
TIMELINE_SECTION = "Timeline"
FIX_ROLE = "fix"

# User-facing text.
CHANGE_FALLBACK = "A change to {repository}"
ACTION_FALLBACK = "Follow-up work"
NO_DATE = "The incident has no reported date, so the post cannot be dated."

_EMPTY_PARENS = re.compile(r"\(\s*\)")
_TITLE_TAG = re.compile(r"^\s*\[[^\]\n]{1,30}\]\s*")  # the issue form's "[Incident] " prefix
_GENERATED_BLOCK = re.compile(
    re.escape(GENERATED_START.format(key="KEY")).replace("KEY", r"(?P<key>[\w.-]+)")
    + ".*?"
    + re.escape(GENERATED_END.format(key="KEY")).replace("KEY", "(?P=key)"),
    re.S,
)
_MARKDOWN = MarkdownIt("commonmark")


class Change(NamedTuple):
    """Something we changed to fix the incident, with the link that shows it, if any."""

    text: str
    url: str | None


class Action(NamedTuple):
    """A follow-up action, linked to the issue that tracks it when there is one."""

    text: str
    url: str | None
    done: bool


@dataclass(frozen=True)
class BlogContext:
    """Everything a blog template can print, as plain text (escaping happens when printed)."""

    title: str
    date: date
    summary: str
    what_happened: str | None
    affected: str | None
    duration: str | None
    why: str | None
    changes: tuple[Change, ...]
    actions: tuple[Action, ...]
    components: tuple[str, ...]
    taxonomy: tuple[str, ...]
    incident_url: str | None
    duration_since_report: bool = False  # True: the duration runs from the report, not the impact
    started: str | None = None  # e.g. "2026-11-20 14:00 UTC"
    resolved: str | None = None
    # Set only when what happened is told from the timeline (nothing else is written):
    impact_window: str | None = None  # "The problem started at … Everything was working normally again at …"
    timeline: tuple[StoryLine, ...] = ()  # the entries people wrote, without the bot's bookkeeping



def blog_context(
    incident: Incident,
    document: IncidentDocument,
    links: Iterable[Link],
    metrics: Metrics,
    *,
    issue_url_of: Callable[[str], str | None],
) -> BlogContext:
    """What the post says, from the incident, its parsed body, its linked merge requests and
    its metrics. `issue_url_of` maps an action's linked issue (`#45`, `group/project#45`, a
    URL) to the URL to link, or None. Placeholders and bot-generated lines never appear."""
    used = _written(document, WHAT_HAPPENED_SECTIONS)
    prose, impact_window, lines = _what_happened(document, used, metrics)
    affected = None if used and used.name in AFFECTED_SECTIONS else _first_paragraph(document, AFFECTED_SECTIONS)
    duration, since_report, started, resolved = incident_duration(metrics)
    title = clean_title(incident.title)
    return BlogContext(
        title=title,
        date=_reported_date(incident, document, metrics),
        summary=summary(prose, title, duration),
        what_happened=prose or timeline_story(impact_window, lines),
        impact_window=impact_window,
        timeline=lines,
        affected=affected,
        duration=duration,
        why=_why(document),
        changes=_changes(document, links),
        actions=_actions(document, issue_url_of),
        components=tuple(incident.components),
        taxonomy=tuple(document.taxonomy.terms) if document.taxonomy else (),
        incident_url=incident.url or None,
        duration_since_report=since_report,
        started=started,
        resolved=resolved,
    )


def _what_happened(document: IncidentDocument, used: Section | None,
                   metrics: Metrics) -> tuple[str | None, str | None, tuple[StoryLine, ...]]:
    """The prose people wrote about what happened; when only the timeline is written, none, and the
    impact window and the timeline's lines to tell it from instead."""
    prose = "\n\n".join(plain_paragraphs(used.text)) if used and used.name != TIMELINE_SECTION else None
    if document.declared and (used is None or used.name != WHAT_HAPPENED_SECTIONS[0]):
        prose = "\n\n".join(plain_paragraphs(document.declared))  # `/incident`'s words, as the form's
    if prose or used is None:
        return prose, None, ()
    return prose, window(metrics), story_lines(document.timeline)


def clean_title(title: str) -> str:
    """The issue title without the incident form's `[Incident]` prefix, on one line."""
    title = " ".join(str(title or "").split())
    stripped = _TITLE_TAG.sub("", title, count=1)
    return stripped or title


def _written(document: IncidentDocument, names: Sequence[str]) -> Section | None:
    """The first of the named sections that is written (not a placeholder)."""
    for name in names:
        section = document.sections.get(name)
        if section is not None and not section.is_placeholder and plain_paragraphs(section.text):
            return section
    return None


def _first_paragraph(document: IncidentDocument, names: Sequence[str]) -> str | None:
    section = _written(document, names)
    return plain_paragraphs(section.text)[0] if section else None


def _why(document: IncidentDocument) -> str | None:
    """The document's root cause in its own words, else the cause section's first paragraph."""
    stated = plain_paragraphs(document.root_cause or "")
    return stated[0] if stated else _first_paragraph(document, WHY_SECTIONS)


def _changes(document: IncidentDocument, links: Iterable[Link]) -> tuple[Change, ...]:
    """Each fix merge request (its title, linked), then the Solution's first paragraph."""
    changes = [
        Change(" ".join(link.title.split()) or CHANGE_FALLBACK.format(repository=link.repository),
               link.url or None)
        for link in links if link.role == FIX_ROLE
    ]
    solution = _first_paragraph(document, CHANGE_SECTIONS)
    if solution:
        changes.append(Change(solution, None))
    return tuple(changes)


def _actions(document: IncidentDocument, issue_url_of: Callable[[str], str | None]) -> tuple[Action, ...]:
    """Every action item, without its owner, due date and issue reference, linked to its issue."""
    return tuple(
        Action(action_text(item.text, item.owner, item.linked_issue),
               issue_url_of(item.linked_issue) if item.linked_issue else None,
               item.done)
        for item in document.actions
    )


def action_text(text: str, owner: str | None, linked_issue: str | None) -> str:
    """An action as a customer reads it: no `@owner`, no `due …`, no `#45`; plain text."""
    text = DUE.sub("", text)
    if owner:
        text = OWNER.sub(lambda m: "" if m.group("login") == owner else m.group(), text)
    if linked_issue:
        text = _EMPTY_PARENS.sub("", ISSUE_REF.sub("", text))
    paragraphs = plain_paragraphs(text)
    plain = " ".join(paragraphs).strip(" -–—:;,") if paragraphs else ""
    return plain or ACTION_FALLBACK


def _reported_date(incident: Incident, document: IncidentDocument, metrics: Metrics) -> date:
    """The day the incident was reported, in the repository's timezone."""
    at = incident.reported_at or metrics.reported.at
    if at is None:
        raise ValueError(NO_DATE)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(resolve_zone(document.timezone)).date()


def plain_paragraphs(markdown: str) -> tuple[str, ...]:
    """The readable text of each paragraph, heading, list item or HTML block, without markup,
    comments, code blocks or the bot's generated lines. HTML is kept as the text it is written
    with (escaping it is the template's job), so `<script>` reads as `<script>`."""
    markdown = HTML_COMMENT.sub("", _GENERATED_BLOCK.sub("", markdown or ""))
    paragraphs = (_block_text(token) for token in _MARKDOWN.parse(markdown))
    return tuple(text for text in paragraphs if text)


def _block_text(token: Token) -> str:
    if token.type == "inline":
        return _inline_text(token)
    if token.type == "html_block":
        return " ".join(token.content.split())
    return ""


def _inline_text(inline: Token) -> str:
    parts = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())
