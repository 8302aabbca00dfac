"""The public blog-post draft of an incident (reference/002): the context (`blog_context`, its own
module) rendered in a Jinja2 sandbox, YAML front matter, a slug and the draft's path.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

import yaml
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from issue_templates.blog_context import (
    Action,
    BlogContext,
    Change,
    plain_paragraphs,
)
from issue_templates.blog_story import strip_markup

DEFAULT_TEMPLATE = "blog/postmortem.md.j2"

# User-facing text.
SLUG_FALLBACK = "incident"
SLUG_MAX_CHARS = 60
MAX_POST_CHARS = 200_000
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
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_PATH_FIELD = re.compile(r"\{[^{}]*\}")
_URL_KEEP = "".join(chr(c) for c in range(0x21, 0x7f) if chr(c) not in "()<>{}\\\"'`|^[] ")


class BlogTemplateError(ValueError):
    """A blog template or path that cannot be used; the message is one line saying why."""


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


__all__ = ["BlogPost", "BlogTemplateError", "default_template", "draft_path", "escape_markdown", "front_matter",
           "neutralize_mentions", "render_blog_post", "safe_url", "slugify"]
