"""References between merge requests and incidents (DESIGN "Linking merge requests").

Two directions:

- `incident_references`: which incidents a pull/merge request's title, description and commit
  messages point at, and in which role (fix, cause, related).
- `parse_merge_request_ref`: the merge request that `/caused-by <ref>` or `/fixed-by <ref>`
  names, or None for anything else (commits are refused: reference/000 links only merge requests).

Pure: text in, values out. Structure comes from a CommonMark parse (markdown-it-py), so
references in code blocks, inline code and HTML comments never count; regular expressions only
ever look at one line.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

from incidents.forge_facts import MergeRequestSyntax

ROLE_FIX = "fix"
ROLE_CAUSE = "cause"
ROLE_RELATED = "related"
_STRENGTH = {ROLE_FIX: 3, ROLE_CAUSE: 2, ROLE_RELATED: 1}

# --- reference grammar (one line at a time) -------------------------------------------------

_SEGMENT = r"(?!-/)[A-Za-z0-9_.-]+"  # a path segment; never GitLab's `/-/` separator
_PROJECT_PATH = rf"{_SEGMENT}(?:/{_SEGMENT})+"  # owner/repo, group/sub/project
_HOST = r"[A-Za-z0-9.-]+(?::\d+)?"


def _issue_pattern(named: bool) -> str:
    """One issue reference: an issue URL, `path#12` or `#12` (groups named only when `named`)."""
    def group(name: str, body: str) -> str:
        return f"(?P<{name}>{body})" if named else f"(?:{body})"
    number = r"\d+"
    return (
        rf"(?:https?://{group('host', _HOST)}/{group('url_path', _PROJECT_PATH)}/(?:-/)?(?:issues|work_items)/"
        rf"{group('url_num', number)}(?![\w/])(?:[?#]\S*)?"
        rf"|(?<![\w/#&!@.-]){group('path', _PROJECT_PATH)}?#{group('num', number)}\b)"
    )


_ISSUE_RE = re.compile(_issue_pattern(named=True))
_ONE = _issue_pattern(named=False)
_ISSUE_LIST = rf"{_ONE}(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+){_ONE})*"  # `#12, #13 and #14`

# GitHub's and GitLab's closing keywords (GitLab's default pattern adds "implement").
_CLOSING = r"(?:clos(?:e|es|ed|ing)|fix(?:|es|ed|ing)|resolv(?:e|es|ed|ing)|implement(?:|s|ed|ing))"
_PATTERNS: tuple[tuple[re.Pattern[str], str | None, bool], ...] = (
    # `Fixes incident #12`: the author says it is an incident.
    (re.compile(rf"\b{_CLOSING}\s+(?:the\s+)?incidents?\s*:?\s*(?P<refs>{_ISSUE_LIST})", re.I), ROLE_FIX, True),
    # `Caused-by: #12` / `Fixed-by: #12` trailers, at the start of a line.
    (re.compile(rf"^\s*(?P<word>caused|fixed)[- ]by\s*:\s*(?P<refs>{_ISSUE_LIST})", re.I), None, True),
    # `Incident: #12`.
    (re.compile(rf"(?<![\w-])incidents?\s*:\s*(?P<refs>{_ISSUE_LIST})", re.I), ROLE_RELATED, True),
    # `Closes #12`, `Fixes: #12, #13 and #14`: counts only if the issue is an incident.
    (re.compile(rf"\b{_CLOSING}\s*:?\s+(?P<refs>{_ISSUE_LIST})", re.I), ROLE_FIX, False),
)


@dataclass(frozen=True)
class IncidentReference:
    """An incident that a merge request's text points at.

    `repository` is the full path (`owner/repo`, `group/sub/project`); for a plain `#12` it is
    the home repository (None when that was not given). `explicit` is True when the text itself
    says the issue is an incident (`Fixes incident #12`, `Incident: #12`, a `Caused-by:` or
    `Fixed-by:` trailer); a bare closing keyword (`Closes #12`) counts only if the caller finds
    #12 is an incident. Either way the caller still confirms the issue exists. `host` is set for
    URL references (`gitlab.example.com`), so a URL to another forge can be ignored.
    """

    repository: str | None
    number: int
    role: str  # "fix" | "cause" | "related"
    explicit: bool
    host: str | None = None


def incident_references(
    title: str,
    body: str,
    commit_messages: Iterable[str] = (),
    home_repository: str | None = None,
) -> list[IncidentReference]:
    """Every incident the title, description and commit messages reference, in order of first mention.

    One entry per issue (repository compared case-insensitively): when an issue is referenced
    more than once it keeps the strongest role (fix > cause > related), and it is explicit when
    any of its mentions is.
    """
    found: dict[tuple[str | None, int], IncidentReference] = {}
    for text in (title, body, *commit_messages):
        for line in visible_lines(text):
            for reference in _line_references(line, home_repository):
                key = (reference.repository.lower() if reference.repository else None, reference.number)
                previous = found.get(key)
                if previous is None:
                    found[key] = reference
                    continue
                strongest = reference if _STRENGTH[reference.role] > _STRENGTH[previous.role] else previous
                found[key] = replace(strongest, explicit=previous.explicit or reference.explicit,
                                     host=previous.host or reference.host)
    return list(found.values())


def strongest_role(*roles: str) -> str:
    """The role that wins when an incident is referenced more than once: fix > cause > related."""
    return max(roles, key=_STRENGTH.__getitem__)


def _line_references(line: str, home: str | None) -> Iterator[IncidentReference]:
    for pattern, role, explicit in _PATTERNS:
        for match in pattern.finditer(line):
            # a trailer's role is its word (`Caused-by` / `Fixed-by`); read the group only when it has one
            role_here = role if role is not None else (
                ROLE_CAUSE if match.group("word").lower() == "caused" else ROLE_FIX)
            for ref in _ISSUE_RE.finditer(match.group("refs")):
                target = _issue_target(ref, home)
                if target is not None:
                    repository, number, host = target
                    yield IncidentReference(repository, number, role_here, explicit, host)


def _issue_target(match: re.Match[str], home: str | None) -> tuple[str | None, int, str | None] | None:
    if match.group("url_num"):
        number, repository, host = int(match.group("url_num")), match.group("url_path"), match.group("host").lower()
    else:
        number, repository, host = int(match.group("num")), match.group("path") or home, None
    if number <= 0:
        return None
    if repository and home and repository.lower() == home.lower():
        repository = home
    return repository, number, host


# --- visible text -----------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark")
_CODE_GAP = " \u2063 "  # stands where inline code was, so `Fixes `x` #12` does not read as `Fixes #12`


def visible_lines(text: str | None) -> list[str]:
    """The lines a reader sees as prose: no code blocks, inline code, HTML or comments.

    A link whose target is a URL shows as that URL, so `[the incident](https://…/issues/12)`
    still references issue 12.
    """
    if not text:
        return []
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    try:
        tokens = _MARKDOWN.parse(text)
    except RecursionError:  # pathological nesting: nothing is read rather than crash
        return []
    lines: list[str] = []
    for token in tokens:
        if token.type == "inline":
            lines.extend(_inline_lines(token.children or []))
    return lines


def _inline_lines(children: list[Token]) -> list[str]:
    lines: list[str] = []
    parts: list[str] = []
    link_depth = 0
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append("".join(parts))
            parts = []
        elif child.type == "link_open":
            href = str(child.attrs.get("href") or "")
            if href.startswith(("http://", "https://")):
                parts.append(f" {href} ")
                link_depth += 1  # the link's own text is not read again
        elif child.type == "link_close":
            link_depth = max(0, link_depth - 1)
        elif link_depth:
            continue
        elif child.type == "text":
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(_CODE_GAP)
    lines.append("".join(parts))
    return lines


# --- merge request references (for /caused-by and /fixed-by) ----------------------------------

@dataclass(frozen=True)
class MergeRequestRef:
    """A pull/merge request: its repository's full path (None when relative and no home) and number.

    `host` is set when the reference was a URL, so the caller can refuse one on another forge.
    """

    repository: str | None
    number: int
    host: str | None = None


_MR_URL = re.compile(
    rf"^https?://(?P<host>{_HOST})/(?P<path>{_PROJECT_PATH})/(?:-/)?(?:pull|pulls|merge_requests)/"
    r"(?P<num>\d+)(?:/(?:files|commits|checks|diffs|pipelines|changes)?)?/?(?:[?#]\S*)?$",
    re.I,
)
_MR_SHORT = re.compile(rf"^(?P<path>{_SEGMENT}(?:/{_SEGMENT})*)?(?P<sigil>[!#])(?P<num>\d+)$")
_MR_WORD = re.compile(r"^(?:PR|MR|pull\s+request|merge\s+request)\s+", re.I)
_COMMIT_URL = re.compile(r"^https?://\S+?/(?:-/)?commits?/[0-9a-f]{7,40}(?![0-9a-z])", re.I)
_SHA = re.compile(r"^(?:(?P<path>" + _PROJECT_PATH + r")@)?(?P<sha>[0-9a-f]{7,40})$", re.I)


def _clean(text: str) -> str:
    """The reference itself: first word after an optional `PR`/`MR`, without brackets or punctuation."""
    words = _MR_WORD.sub("", " ".join(str(text or "").split())).split(maxsplit=1)
    return words[0].rstrip(".,;:)").strip("<>`").rstrip(".,;:)") if words else ""


def is_commit_ref(text: str) -> bool:
    """Whether the text names a commit rather than a merge request: a commit URL (also one inside
    a pull request), a SHA of 7-40 hex digits that is not all digits, or `owner/repo@sha`."""
    ref = _clean(text)
    if _COMMIT_URL.match(ref):
        return True
    sha = _SHA.match(ref)
    return sha is not None and not sha.group("sha").isdigit()


def on_this_forge(host: str | None, web_host: str) -> bool:
    """Whether a reference's URL host (None: not a URL) is the forge's own, its web pages' or its API's."""
    if host is None:
        return True
    host = host.lower()
    return host == web_host.lower() or host == f"api.{web_host.lower()}"


def parse_merge_request_ref(text: str, home_repository: str | None,
                            syntax: MergeRequestSyntax) -> MergeRequestRef | None:
    """The merge request a `/caused-by` or `/fixed-by` argument names; None when it names none.

    Accepted: `!34` and `group/project!34` (on every forge: on GitHub read as pull request 34),
    `#34` and `owner/repo#34` where `#34` can name one (`syntax.hash_names_merge_request`: GitHub's
    pull requests share the issues' numbers; on GitLab `#34` is an issue), `project!34` in the home
    repository's group where the forge has that short form (`syntax.sibling_project_refs`, GitLab),
    and pull/merge request URLs.
    An optional leading `PR`/`MR` word is skipped. Commits (see `is_commit_ref`), issue URLs
    and anything else give None.
    """
    ref = _clean(text)
    if not ref or is_commit_ref(ref):
        return None
    url = _MR_URL.match(ref)
    if url:
        host, path, number = url.group("host").lower(), url.group("path"), int(url.group("num"))
        if host.startswith("api.") and path.startswith("repos/") and path.count("/") >= 2:
            path = path[len("repos/"):]  # https://api.github.com/repos/o/r/pulls/3
        return MergeRequestRef(path, number, host) if number > 0 else None
    short = _MR_SHORT.match(ref)
    if not short or int(short.group("num")) <= 0:
        return None
    path, number = short.group("path"), int(short.group("num"))
    if short.group("sigil") == "#" and not syntax.hash_names_merge_request:
        return None
    if path and "/" not in path:
        # `project!34`: a sibling project in the home repository's group (GitLab's short form).
        if not syntax.sibling_project_refs or not home_repository or "/" not in home_repository:
            return None
        path = f"{home_repository.rsplit('/', 1)[0]}/{path}"
    repository = path or home_repository
    if repository and home_repository and repository.lower() == home_repository.lower():
        repository = home_repository
    return MergeRequestRef(repository, number)


__all__ = [
    "IncidentReference", "MergeRequestRef", "incident_references", "is_commit_ref",
    "parse_merge_request_ref", "strongest_role", "visible_lines",
]
