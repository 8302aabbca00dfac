"""The public blog-post draft of an incident (reference/002): context from the incident, a
sandboxed Jinja2 render, YAML front matter, a slug and the draft's path.

Pure: values in, text out. The only read is the packaged default template.

Safety: issue text is data and never template source. Every value a template prints goes
through `escape_markdown` (Markdown punctuation backslashed; `<`, `>`, `&`, `{`, `}` as HTML
entities, so neither HTML nor a site generator's `{{ }}`/`{% %}` survives; `@` mentions broken
by a zero-width joiner) unless it is a URL checked by `safe_url`. Front matter values are plain
text: Markdown, HTML and template delimiters taken out (`blog_story.strip_markup`).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timezone
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

import yaml
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markdown_it import MarkdownIt
from markdown_it.token import Token

# The parser's own patterns for an action's owner, due date and linked issue, and for an HTML
# comment, so what is taken out of the text is exactly what the parser read.
from incidents.action_items import DUE as _DUE
from incidents.action_items import ISSUE_REF as _ISSUE_REF
from incidents.action_items import OWNER as _OWNER
from incidents.document import IncidentDocument
from incidents.markup import HTML_COMMENT as _COMMENT
from incidents.metrics import Metrics, resolve_zone
from incidents.model import Incident, Link
from incidents.section_edits import GENERATED_END, GENERATED_START
from incidents.sections import Section
from issue_templates.blog_story import (
    StoryLine, incident_duration, story_lines, strip_markup, summary, timeline_story, window,
)

DEFAULT_TEMPLATE = "blog/postmortem.md.j2"

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
SLUG_FALLBACK = "incident"
SLUG_MAX_CHARS = 60
MAX_POST_CHARS = 200_000

NO_DATE = "The incident has no reported date, so the post cannot be dated."
TEMPLATE_SYNTAX = "The blog template has a syntax error on line {line}: {message}"
TEMPLATE_UNDEFINED = "The blog template uses a value that does not exist: {message}"
TEMPLATE_FORBIDDEN = "The blog template does something the sandbox forbids: {message}"
TEMPLATE_FAILED = "The blog template failed to render ({kind}): {message}"
TEMPLATE_TOO_LONG = f"The blog template produced more than {MAX_POST_CHARS} characters."
PATH_EMPTY = "The blog path is empty: set `blog.path`, e.g. `content/posts/{date}-{slug}.md`."
PATH_UNKNOWN_FIELD = "The blog path uses {field}; only {{date}} and {{slug}} are filled in."
PATH_ABSOLUTE = "The blog path {path!r} must be relative to the blog repository, not absolute."
PATH_PARENT = "The blog path {path!r} must not contain `..` or empty parts."

_ZWJ = "\u200d"  # after `@`: the text still reads the same, but no mention fires
_MENTION = re.compile(r"@(?=[\w-])")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")  # `#` matters only at a line start
# Braces as entities too: `{{`, `{%` or `{{<` would be run by Jekyll (Liquid) or Hugo (shortcodes).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"}
_ENTITY_CHARS = re.compile("[&<>{}]")
_LINE_START_MARKER = re.compile(r"^(\d+)([.)])(?=\s|$)|^([-+=#])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EMPTY_PARENS = re.compile(r"\(\s*\)")
_TITLE_TAG = re.compile(r"^\s*\[[^\]\n]{1,30}\]\s*")  # the issue form's "[Incident] " prefix
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_PATH_FIELD = re.compile(r"\{[^{}]*\}")
_URL_KEEP = "".join(chr(c) for c in range(0x21, 0x7f) if chr(c) not in "()<>{}\\\"'`|^[] ")
_GENERATED_BLOCK = re.compile(
    re.escape(GENERATED_START.format(key="KEY")).replace("KEY", r"(?P<key>[\w.-]+)")
    + ".*?"
    + re.escape(GENERATED_END.format(key="KEY")).replace("KEY", "(?P=key)"),
    re.S,
)
_MARKDOWN = MarkdownIt("commonmark")


class BlogTemplateError(ValueError):
    """A blog template or path that cannot be used; the message is one line saying why."""


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


@dataclass(frozen=True)
class BlogPost:
    """A rendered draft: where it goes (date and slug) and what it says."""

    path_date: date
    slug: str
    front_matter: dict
    body: str

    @property
    def text(self) -> str:
        """The post file: YAML front matter between `---` lines, then the Markdown body."""
        dumped = yaml.safe_dump(self.front_matter, sort_keys=False, allow_unicode=True)
        return f"---\n{dumped}---\n\n{self.body}"


# --- escaping --------------------------------------------------------------------------

def neutralize_mentions(text: str) -> str:
    """`@name` with a zero-width joiner after the `@`: reads the same, pings no one."""
    return _MENTION.sub("@" + _ZWJ, text)


def escape_markdown(value: Any) -> str:
    """Text that shows as itself in Markdown and HTML: no markup, no tags, no template
    delimiters a site generator could run (`{{` becomes `&#123;&#123;`), no mentions. Line breaks
    and blank lines are kept."""
    text = _CONTROL.sub("", "" if value is None else str(value))
    return "\n".join(_escape_line(line) for line in text.replace("\r\n", "\n").split("\n"))


def _escape_line(line: str) -> str:
    line = line.lstrip()  # leading spaces would start a code block
    line = _ENTITY_CHARS.sub(lambda m: _ENTITIES[m.group()], line)
    line = _MARKDOWN_PUNCTUATION.sub(r"\\\1", line)
    line = _LINE_START_MARKER.sub(_escape_marker, line, count=1)
    return neutralize_mentions(line)


def _escape_marker(match: re.Match) -> str:
    if match.group(1) is not None:  # "1." or "1)" would start an ordered list
        return f"{match.group(1)}\\{match.group(2)}"
    return f"\\{match.group(3)}"  # a bullet, a setext underline or a heading


class _Url(str):
    """A URL `safe_url` checked: printed as is, everything else is escaped."""


def safe_url(url: str | None) -> _Url | None:
    """An http(s) URL with the characters that could leave a Markdown link or start template
    code percent-encoded; None for anything else (javascript:, relative, empty)."""
    url = (url or "").strip()
    parts = urlsplit(url) if url else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return _Url(quote(url, safe=_URL_KEEP + "%"))


def _finalize(value: Any) -> str:
    """What every `{{ … }}` prints: checked URLs as they are, anything else escaped."""
    if isinstance(value, _Url):
        return str(value)
    return escape_markdown(value)


def _front_matter_text(text: str) -> str:
    """One line of plain text for the front matter: no Markdown, HTML or template syntax (a theme may
    print it unescaped), mentions broken; YAML quoting is done by the dumper."""
    return neutralize_mentions(strip_markup(" ".join(plain_paragraphs(str(text)))))


# --- context ---------------------------------------------------------------------------

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
    prose = "\n\n".join(plain_paragraphs(used.text)) if used and used.name != TIMELINE_SECTION else None
    if document.declared and (used is None or used.name != WHAT_HAPPENED_SECTIONS[0]):
        prose = "\n\n".join(plain_paragraphs(document.declared))  # `/incident`'s words, as the form's
    told = not prose and used is not None  # from the timeline: the window and what people wrote
    impact_window = window(metrics) if told else None
    lines = story_lines(document.timeline) if told else ()
    what_happened = prose or timeline_story(impact_window, lines)
    affected = None if used and used.name in AFFECTED_SECTIONS else _first_paragraph(document, AFFECTED_SECTIONS)
    duration, since_report, started, resolved = incident_duration(metrics)
    title = clean_title(incident.title)
    return BlogContext(
        title=title,
        date=_reported_date(incident, document, metrics),
        summary=summary(prose, title, duration),
        what_happened=what_happened,
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
    text = _DUE.sub("", text)
    if owner:
        text = _OWNER.sub(lambda m: "" if m.group("login") == owner else m.group(), text)
    if linked_issue:
        text = _EMPTY_PARENS.sub("", _ISSUE_REF.sub("", text))
    paragraphs = plain_paragraphs(text)
    plain = " ".join(paragraphs).strip(" -–—:;,") if paragraphs else ""
    return plain or ACTION_FALLBACK


def _reported_date(incident: Incident, document: IncidentDocument, metrics: Metrics) -> date:
    """The day the incident was reported, in the repository's timezone."""
    at = incident.reported_at or metrics.reported.at
    if at is None:
        raise ValueError(NO_DATE)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(resolve_zone(document.timezone)).date()


# --- Markdown to plain text ------------------------------------------------------------

def plain_paragraphs(markdown: str) -> tuple[str, ...]:
    """The readable text of each paragraph, heading, list item or HTML block, without markup,
    comments, code blocks or the bot's generated lines. HTML is kept as the text it is written
    with (escaping it is the template's job), so `<script>` reads as `<script>`."""
    markdown = _COMMENT.sub("", _GENERATED_BLOCK.sub("", markdown or ""))
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


# --- rendering -------------------------------------------------------------------------

class _BlogSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a bound on `*` and `**` so a template cannot build a huge value."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) \
                        and len(sequence) * count > MAX_POST_CHARS:
                    raise SecurityError("repeated value too large")
        return super().call_binop(context, operator, left, right)


def _environment() -> _BlogSandbox:
    return _BlogSandbox(
        autoescape=False, finalize=_finalize, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def default_template() -> str:
    """The packaged default body template."""
    return resources.files("issue_templates").joinpath(DEFAULT_TEMPLATE).read_text(encoding="utf-8")


def render_blog_post(context: BlogContext, template_text: str | None = None) -> BlogPost:
    """The draft: front matter from the context, body from the template (the default one, or
    a repository's `blog.template`). Raises BlogTemplateError when the template is unusable."""
    body = _render_body(template_text if template_text is not None else default_template(),
                        _template_values(context))
    return BlogPost(
        path_date=context.date,
        slug=slugify(context.title),
        front_matter=front_matter(context),
        body=body,
    )


def front_matter(context: BlogContext) -> dict:
    """title, date, summary, tags (components and taxonomy terms, lower case), draft."""
    tags = _unique(_front_matter_text(tag).lower() for tag in (*context.components, *context.taxonomy))
    return {
        "title": _front_matter_text(context.title),
        "date": context.date.isoformat(),
        "summary": _front_matter_text(context.summary),
        "tags": [tag for tag in tags if tag],
        "draft": True,
    }


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _template_values(context: BlogContext) -> dict[str, Any]:
    """The context as template variables, with every URL checked."""
    values = {field.name: getattr(context, field.name) for field in fields(context)}
    values["changes"] = tuple(Change(c.text, safe_url(c.url)) for c in context.changes)
    values["actions"] = tuple(Action(a.text, safe_url(a.url), a.done) for a in context.actions)
    values["incident_url"] = safe_url(context.incident_url)
    return values


def _render_body(template_text: str, values: Mapping[str, Any]) -> str:
    """Render in the sandbox; any failure becomes one BlogTemplateError line."""
    try:
        template = _environment().from_string(template_text)
        chunks, size = [], 0
        for chunk in template.generate(values):
            size += len(chunk)
            if size > MAX_POST_CHARS:
                raise BlogTemplateError(TEMPLATE_TOO_LONG)
            chunks.append(chunk)
    except BlogTemplateError:
        raise
    except Exception as error:  # a team's template can fail in any way; the job reports it
        raise BlogTemplateError(_template_error_message(error)) from error
    return "".join(chunks)


def _template_error_message(error: Exception) -> str:
    message = _one_line(str(error)) or type(error).__name__
    if isinstance(error, TemplateSyntaxError):
        return TEMPLATE_SYNTAX.format(line=error.lineno, message=message)
    if isinstance(error, SecurityError):
        return TEMPLATE_FORBIDDEN.format(message=message)
    if isinstance(error, UndefinedError):
        return TEMPLATE_UNDEFINED.format(message=message)
    kind = "template error" if isinstance(error, TemplateError) else type(error).__name__
    return TEMPLATE_FAILED.format(kind=kind, message=message)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- slug and path ---------------------------------------------------------------------

def slugify(title: str) -> str:
    """ASCII, lower case, words joined by dashes, at most 60 characters; "incident" if empty."""
    ascii_text = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode()
    slug = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > SLUG_MAX_CHARS:
        cut = slug[:SLUG_MAX_CHARS + 1]
        slug = cut[:cut.rfind("-")] if "-" in cut[1:] else slug[:SLUG_MAX_CHARS]
        slug = slug.strip("-")
    return slug or SLUG_FALLBACK


def draft_path(pattern: str, post: BlogPost) -> str:
    """`blog.path` with `{date}` (YYYY-MM-DD) and `{slug}` filled in; a relative path inside
    the blog repository, else BlogTemplateError."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise BlogTemplateError(PATH_EMPTY)
    for field in _PATH_FIELD.findall(pattern):
        if field not in ("{date}", "{slug}"):
            raise BlogTemplateError(PATH_UNKNOWN_FIELD.format(field=field))
    path = pattern.replace("{date}", post.path_date.isoformat()).replace("{slug}", post.slug)
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        raise BlogTemplateError(PATH_ABSOLUTE.format(path=path))
    parts = [part for part in path.replace("\\", "/").split("/") if part != "."]
    if not parts or any(part in ("", "..") for part in parts):
        raise BlogTemplateError(PATH_PARENT.format(path=path))
    return str(PurePosixPath(*parts))


__all__ = [
    "Action", "BlogContext", "BlogPost", "BlogTemplateError", "Change", "action_text",
    "blog_context", "clean_title", "default_template", "draft_path", "escape_markdown",
    "front_matter", "neutralize_mentions", "plain_paragraphs", "render_blog_post", "safe_url",
    "slugify",
]
