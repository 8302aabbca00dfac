"""Slash commands in issue comments and notes: which lines are commands and what they ask for.

Pure: a comment's text in, a list of parsed commands and errors out. Whether the author may run
a command, and what it does, is for handlers/. Structure comes from a CommonMark parse
(markdown-it-py), so commands in code blocks, HTML comments and quotes are never run; regular
expressions only ever look at one line.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from types import MappingProxyType
from typing import Any, Callable

from markdown_it import MarkdownIt

from incidents.model import parse_severity, parse_status
from incidents.taxonomy import known_terms, parse_tree, suggest
from incidents.timeline import TIMELINE_TAGS

# The word that makes every command unambiguous: GitLab runs several bare names itself.
DESK = "desk"
PREFIX = "/"
DESK_PREFIX = f"/{DESK} "

COMMANDS = (
    "incident", "status", "severity", "component", "commander", "ops-lead", "comms", "timeline",
    "action", "caused-by", "fixed-by", "taxonomy", "postmortem", "close", "publish", "unpublish",
    "workaround", "blog", "help",
)

USAGE: Mapping[str, str] = MappingProxyType({
    "incident": "{prefix}incident <what went wrong>",
    "status": "{prefix}status <investigating|identified|monitoring|resolved> [message]",
    "severity": "{prefix}severity <major-outage|partial-outage|degraded-performance|operational>",
    "component": "{prefix}component <id> [<id> ...]",
    "commander": "{prefix}commander @user",
    "ops-lead": "{prefix}ops-lead @user",
    "comms": "{prefix}comms @user",
    "timeline": "{prefix}timeline [YYYY-MM-DD] HH:MM [±HH:MM] [[detected]] <what happened>",
    "action": "{prefix}action <what to do> @owner [due YYYY-MM-DD] [in group/project]",
    "caused-by": "{prefix}caused-by <merge request: !34, group/project!34, #34 or URL>",
    "fixed-by": "{prefix}fixed-by <merge request: !34, group/project!34, #34 or URL>",
    "taxonomy": "{prefix}taxonomy TERM [< TERM ...]",
    "postmortem": "{prefix}postmortem",
    "close": "{prefix}close --force [reason]",
    "publish": "{prefix}publish [postmortem]",
    "unpublish": "{prefix}unpublish",
    "workaround": "{prefix}workaround <text or link>",
    "blog": "{prefix}blog",
    "help": "{prefix}help",
})

DESCRIPTION: Mapping[str, str] = MappingProxyType({
    "incident": "Open a new incident issue; you become its commander and operations lead.",
    "status": "Set the status; the message (it may go on below, up to a blank line) goes to the timeline "
              "and the status page.",
    "severity": "Set the severity.",
    "component": "Set the affected components.",
    "commander": "Make someone the incident commander.",
    "ops-lead": "Make someone the operations lead.",
    "comms": "Make someone the communications lead.",
    "timeline": "Add an entry to the timeline (repository timezone unless an offset is given).",
    "action": "Add an action item; with `in`, open the follow-up issue in that repository.",
    "caused-by": "Link the merge request that caused the incident.",
    "fixed-by": "Link the merge request that fixed the incident.",
    "taxonomy": "Set the root-cause taxonomy term or tree.",
    "postmortem": "Add the postmortem template's missing sections to the issue, keeping what is written.",
    "close": "Close the incident although action items are still open; recorded in the timeline.",
    "publish": "Show the incident on the status page; `postmortem` also shows its written postmortem.",
    "unpublish": "Take the incident off the status page.",
    "workaround": "Publish a workaround with the incident (its text may go on below, up to a blank line).",
    "blog": "Request (again) the blog-post draft of the postmortem.",
    "help": "List the commands.",
})

# What is wrong, in plain words; handlers add the usage line.
UNKNOWN_COMMAND = "`{name}` is not an Incident Desk command."
MISSING_COMMAND = "Say which command to run after `/desk`."
MISSING_TEXT = "Say what went wrong."
MISSING_WORKAROUND = "Give the workaround text or a link to it."
PUBLISH_WHAT = "`publish` takes nothing, or `postmortem`."
UNKNOWN_STATUS = "`{value}` is not a status; use investigating, identified, monitoring or resolved."
MISSING_STATUS = "Give the new status."
UNKNOWN_SEVERITY = ("`{value}` is not a severity; use major-outage, partial-outage, "
                    "degraded-performance or operational.")
MISSING_SEVERITY = "Give the severity."
MISSING_COMPONENT = "Name at least one component by its id."
BAD_COMPONENT = "`{value}` is not a component id (letters, digits, `.`, `_` and `-`)."
MISSING_LOGIN = "Name the person as @login."
BAD_LOGIN = "`{value}` is not a user name."
MISSING_TIME = "Start with the time as HH:MM (24-hour clock), optionally after the date as YYYY-MM-DD."
BAD_TIME = "`{value}` is not a time of day; use HH:MM on a 24-hour clock."
BAD_DATE = "`{value}` is not a date; use YYYY-MM-DD."
BAD_OFFSET = "`{value}` is not a UTC offset; use ±HH:MM."
UNKNOWN_TAG = "`[{value}]` is not a timeline tag; use one of {tags}."
MISSING_ENTRY_TEXT = "Say what happened after the time."
MISSING_ACTION_TEXT = "Say what needs to be done."
BAD_DUE_DATE = "The due date `{value}` is not a date; use YYYY-MM-DD."
MISSING_REF = "Give the merge request: !34, group/project!34, #34 or its URL."
COMMIT_REF = ("Only merge requests can be linked as the cause or the fix, not commits: give the merge "
              "request that brought `{value}` in.")
ISSUE_REF = "`{value}` is an issue; only merge requests can be linked as the cause or the fix."
BAD_REF = "`{value}` is not a merge request reference; use !34, group/project!34, #34 or its URL."
MISSING_TERMS = "Give a taxonomy term, or a tree such as `MISSING_TEST < INCOMPLETE_PERSPECTIVE`."
UNKNOWN_TERM = "`{value}` is not a taxonomy term."
UNKNOWN_TERM_SUGGESTION = "`{value}` is not a taxonomy term; did you mean `{suggestion}`?"
CLOSE_NEEDS_FORCE = ("Closing is refused while action items are open; add `--force` to close anyway, "
                     "or simply close the issue.")

FORCE_FLAG = "--force"
_COMMAND_LINE = re.compile(r"^/(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?=\s|$)\s*(?P<rest>.*)$")
_LOGIN = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?$")
_MENTION = re.compile(r"(?<![\w.@/`])@(?P<login>[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")
_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TIME_LIKE = re.compile(r"^\d{1,2}[:.h]\d")  # meant as a time, even if not a valid one
_TIME = re.compile(r"^(?P<hour>\d{1,2}):(?P<minute>\d{2})(?P<offset>Z|[+\-\u2212]\d{1,2}:?\d{2})?$", re.I)
_DATE_LIKE = re.compile(r"^\d{2,4}[-/.]\d")
_OFFSET_WORD = re.compile(r"^(?:Z|UTC|GMT|[+\-\u2212]\d{1,2}:?\d{2})$", re.I)
_TAG = re.compile(r"^\[(?P<tag>[^\]\n]{1,40})\](?![(\[:])\s*(?P<text>.*)$")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_OFFSET = re.compile(r"^(?P<sign>[+\-\u2212])(?P<h>\d{1,2}):?(?P<m>\d{2})$")
_ACTION_IN = re.compile(r"(?:^|\s)in\s+(?P<repo>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)\s*$", re.I)
_ACTION_DUE = re.compile(r"(?:^|\s)due(?:\s*:|\s+(?:by|on))?\s+(?P<date>\S+)\s*$", re.I)
_TRAILING_MENTION = re.compile(r"(?:^|\s)@(?P<login>[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)[.,;:!?]*\s*$")
_MR_URL = re.compile(r"^https?://[^/\s]+/[^\s?#]+?/(?:-/)?(?:pull|pulls|merge_requests)/\d+/?(?:[?#]\S*)?$", re.I)
_ISSUE_URL = re.compile(r"^https?://[^/\s]+/[^\s?#]+?/(?:-/)?(?:issues|work_items)/\d+/?(?:[?#]\S*)?$", re.I)
_COMMIT_URL = re.compile(r"^https?://\S+/(?:-/)?commits?/[0-9a-f]{7,40}\b", re.I)
_SHA = re.compile(r"^[0-9a-f]{7,40}$", re.I)
_PATH = r"(?:[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)"
_MR_SHORT = re.compile(rf"^{_PATH}?[!#]\d+$")
_RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}

_MARKDOWN = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Command:
    """A command that parsed: its name, its arguments, and where it was written."""

    name: str
    args: Mapping[str, Any] = field(hash=False)
    line: int
    raw: str


@dataclass(frozen=True)
class CommandError:
    """A command line that could not be read; name is None for an unknown command."""

    name: str | None
    line: int
    raw: str
    message: str


class _BadArgs(ValueError):
    """A command's arguments are wrong; the message says how, for the reply."""


# --- which lines are commands -----------------------------------------------------------------

def _ignored_lines(text: str) -> set[int]:
    """0-based lines inside code blocks, HTML blocks, or quoted with `>`: never commands."""
    try:
        tokens = _MARKDOWN.parse(text)
    except RecursionError:  # pathological nesting: nothing is a command rather than a crash
        return set(range(text.count("\n") + 1))
    lines = text.split("\n")
    ignored: set[int] = set()
    for token in tokens:
        if not token.map:
            continue
        first, last = token.map
        if token.type in ("fence", "code_block", "html_block"):
            ignored.update(range(first, last))
        elif token.type == "blockquote_open":
            # A lazy line after a quote (no `>` of its own) is the author's, not the quotation.
            ignored.update(i for i in range(first, min(last, len(lines))) if lines[i].lstrip().startswith(">"))
    return ignored


def _command_name(line: str) -> tuple[str | None, str, bool] | None:
    """(command name or None, argument text, written with /desk) for a slash line; None otherwise."""
    match = _COMMAND_LINE.match(line.strip())
    if not match:
        return None
    name, rest = _canonical(match.group("name")), match.group("rest").strip()
    if name != DESK:
        return (name, rest, False) if name in COMMANDS else None
    inner = re.match(r"^/?(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?=\s|$)\s*(?P<rest>.*)$", rest)
    if not inner:
        return None, rest, True
    return _canonical(inner.group("name")), inner.group("rest").strip(), True


def _canonical(name: str) -> str:
    """`Ops_Lead` and `ops-lead` are the same command."""
    return name.lower().replace("_", "-")


def parse_commands(comment: str, *, today: date, extra_terms: Iterable[str] = ()) -> list[Command | CommandError]:
    """Every command line of a comment, in order, each parsed or explained.

    A command line starts with `/name` or `/desk name`. Bare names that are not ours (GitLab's
    own quick actions such as `/label` or `/assign`, `/shrug`) are ignored; `/desk` with an unknown
    name is an error. Lines in code blocks, HTML comments and quotes are never commands.
    `today` anchors relative dates (`yesterday`) so parsing never reads the clock.
    """
    if not isinstance(comment, str):
        comment = "" if comment is None else str(comment)
    text = comment.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    ignored = _ignored_lines(text)
    terms = known_terms(extra_terms)
    found: list[Command | CommandError] = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index in ignored or not line.lstrip().startswith("/"):
            continue
        parsed = _command_name(line)
        if parsed is None:
            continue
        name, rest, _desk = parsed
        raw = line.strip()
        if name is None:
            found.append(CommandError(None, index + 1, raw, MISSING_COMMAND))
        elif name not in COMMANDS:
            found.append(CommandError(None, index + 1, raw, UNKNOWN_COMMAND.format(name=name)))
        else:
            try:
                more = _message_lines(lines, index, ignored) if name in _MESSAGE_COMMANDS else ""
                args = _PARSERS[name](rest, today=today, terms=terms, more=more)
            except _BadArgs as error:
                found.append(CommandError(name, index + 1, raw, str(error)))
            else:
                found.append(Command(name, MappingProxyType(args), index + 1, raw))
    return found


# Their free text may run on below the command line (Fluid's two-line closing message); other
# commands' text is one line: a timeline entry, an action item or an issue title.
_MESSAGE_COMMANDS = frozenset({"status", "workaround"})


def _message_lines(lines: list[str], index: int, ignored: set[int]) -> str:
    """The lines after a command up to a blank line, the next command line, a quote or a code block."""
    taken = []
    for number in range(index + 1, len(lines)):
        line = lines[number].strip()
        if not line or number in ignored or _COMMAND_LINE.match(line):
            break
        taken.append(line)
    return "\n".join(taken)


# --- arguments of each command ------------------------------------------------------------------

def _text(rest: str, message: str) -> dict[str, Any]:
    if not rest:
        raise _BadArgs(message)
    return {"text": rest}


def _incident(rest: str, **_: Any) -> dict[str, Any]:
    return _text(rest, MISSING_TEXT)


def _workaround(rest: str, *, more: str = "", **_: Any) -> dict[str, Any]:
    return _text("\n".join(part for part in (rest, more) if part), MISSING_WORKAROUND)


def _publish(rest: str, **_: Any) -> dict[str, Any]:
    if rest and rest.split()[0].lower() != "postmortem":
        raise _BadArgs(PUBLISH_WHAT)
    return {"postmortem": bool(rest)}


def _no_args(rest: str, **_: Any) -> dict[str, Any]:
    return {}  # extra words are ignored: `/help please` still helps


def _status(rest: str, *, more: str = "", **_: Any) -> dict[str, Any]:
    if not rest:
        raise _BadArgs(MISSING_STATUS)
    word, message = (rest.split(maxsplit=1) + [""])[:2]
    status = parse_status(word)
    if status is None:
        raise _BadArgs(UNKNOWN_STATUS.format(value=_shown(word)))
    return {"status": status, "message": "\n".join(part for part in (message.strip(), more) if part)}


def _severity(rest: str, **_: Any) -> dict[str, Any]:
    if not rest:
        raise _BadArgs(MISSING_SEVERITY)
    words = rest.split()
    # `major outage` is two words; try the longest reading first.
    for count in (len(words), 2, 1):
        severity = parse_severity(" ".join(words[:count]))
        if severity is not None:
            return {"severity": severity}
    raise _BadArgs(UNKNOWN_SEVERITY.format(value=_shown(rest)))


def _component(rest: str, **_: Any) -> dict[str, Any]:
    ids = [part for part in re.split(r"[\s,]+", rest) if part]
    if not ids:
        raise _BadArgs(MISSING_COMPONENT)
    for part in ids:
        if not _COMPONENT.match(part):
            raise _BadArgs(BAD_COMPONENT.format(value=_shown(part)))
    return {"components": tuple(dict.fromkeys(ids))}


def _role(rest: str, **_: Any) -> dict[str, Any]:
    if not rest:
        raise _BadArgs(MISSING_LOGIN)
    word = rest.split()[0].rstrip(".,;:!?")
    login = word[1:] if word.startswith("@") else word
    if not _LOGIN.match(login):
        raise _BadArgs(BAD_LOGIN.format(value=_shown(word)))
    return {"login": login}


def _date(text: str, today: date, message: str) -> date:
    """An ISO date, or today / yesterday / tomorrow relative to `today`."""
    if text.lower() in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[text.lower()])
    match = _ISO_DATE.match(text)
    try:
        if match:
            return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError:
        pass
    raise _BadArgs(message.format(value=_shown(text)))


def _timeline(rest: str, *, today: date, **_: Any) -> dict[str, Any]:
    """`[YYYY-MM-DD] HH:MM [±HH:MM] [-] [[tag]] text`, read word by word."""
    words = rest.split(maxsplit=1)
    day = None
    if words and not _TIME.match(words[0]) and (words[0].lower() in _RELATIVE_DAYS or _DATE_LIKE.match(words[0])):
        day = _date(words[0], today, BAD_DATE)
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words or not _TIME_LIKE.match(words[0]):
        raise _BadArgs(MISSING_TIME)
    match = _TIME.match(words[0])
    if not match or int(match.group("hour")) > 23 or int(match.group("minute")) > 59:
        raise _BadArgs(BAD_TIME.format(value=_shown(words[0])))
    offset_text = match.group("offset")
    rest = words[1] if len(words) > 1 else ""
    if offset_text is None:
        words = rest.split(maxsplit=1)
        if words and _OFFSET_WORD.match(words[0]):
            offset_text, rest = words[0], (words[1] if len(words) > 1 else "")
    offset = _offset(offset_text)
    text = re.sub(r"^[-\u2013\u2014](?:\s+|$)", "", rest.strip()).strip()  # `14:05 - text` out of habit
    tag = None
    tagged = _TAG.match(text)
    if tagged:
        tag = "-".join(tagged.group("tag").lower().replace("_", " ").split())
        if tag not in TIMELINE_TAGS:
            raise _BadArgs(UNKNOWN_TAG.format(value=_shown(tagged.group("tag")),
                                              tags=", ".join(f"[{t}]" for t in TIMELINE_TAGS)))
        text = tagged.group("text").strip()
    if not text:
        raise _BadArgs(MISSING_ENTRY_TEXT)
    return {"date": day, "time": time(int(match.group("hour")), int(match.group("minute"))),
            "offset": offset, "tag": tag, "text": text}


def _offset(text: str | None) -> timedelta | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return timedelta(0)
    match = _OFFSET.match(text)
    if not match or int(match.group("h")) > 23 or int(match.group("m")) > 59:
        raise _BadArgs(BAD_OFFSET.format(value=_shown(text)))
    minutes = int(match.group("h")) * 60 + int(match.group("m"))
    return timedelta(minutes=-minutes if match.group("sign") != "+" else minutes)


def _action(rest: str, *, today: date, **_: Any) -> dict[str, Any]:
    """`<text> @owner [due DATE] [in group/project]`: options are peeled off the end, any order."""
    due = repository = None
    while True:
        found = _ACTION_IN.search(rest)
        if found and repository is None:
            repository, rest = found.group("repo"), rest[:found.start()].rstrip()
            continue
        found = _ACTION_DUE.search(rest)
        if found and due is None:
            due, rest = _date(found.group("date"), today, BAD_DUE_DATE), rest[:found.start()].rstrip()
            continue
        break
    owner = None
    trailing = _TRAILING_MENTION.search(rest)
    if trailing:
        owner, rest = trailing.group("login"), rest[:trailing.start()].rstrip()
    else:
        # The owner is the last @mention; written mid-sentence it stays in the text.
        mentions = list(_MENTION.finditer(rest))
        owner = mentions[-1].group("login") if mentions else None
    text = rest.strip()
    if not text:
        raise _BadArgs(MISSING_ACTION_TEXT)
    return {"text": text, "owner": owner, "due": due, "repository": repository}


def _merge_request(rest: str, **_: Any) -> dict[str, Any]:
    if not rest:
        raise _BadArgs(MISSING_REF)
    ref = rest.split()[0].strip("<>").rstrip(".,;:")
    if _COMMIT_URL.match(ref) or _SHA.match(ref) and not ref.isdigit():
        raise _BadArgs(COMMIT_REF.format(value=_shown(ref)))
    if _ISSUE_URL.match(ref):
        raise _BadArgs(ISSUE_REF.format(value=_shown(ref)))
    if _MR_URL.match(ref) or _MR_SHORT.match(ref):
        return {"ref": ref, "kind": "merge_request"}
    raise _BadArgs(BAD_REF.format(value=_shown(ref)))


def _taxonomy(rest: str, *, terms: frozenset[str], **_: Any) -> dict[str, Any]:
    tree = parse_tree(rest) if rest else ()
    if not tree:
        raise _BadArgs(MISSING_TERMS)
    for term in tree:
        if term not in terms:
            close = suggest(term, terms)
            message = UNKNOWN_TERM_SUGGESTION if close else UNKNOWN_TERM
            raise _BadArgs(message.format(value=_shown(term), suggestion=close))
    return {"terms": tree}


def _close(rest: str, **_: Any) -> dict[str, Any]:
    first, reason = (rest.split(maxsplit=1) + ["", ""])[:2]
    if first.lower() != FORCE_FLAG:
        raise _BadArgs(CLOSE_NEEDS_FORCE)
    return {"force": True, "reason": reason.strip()}


def _shown(value: str, limit: int = 60) -> str:
    """A bit of the user's text to quote back in a message: one line, short, no backticks."""
    value = " ".join(str(value).split()).replace("`", "'")
    return value if len(value) <= limit else value[: limit - 1] + "…"


_PARSERS: Mapping[str, Callable[..., dict[str, Any]]] = MappingProxyType({
    "incident": _incident,
    "status": _status,
    "severity": _severity,
    "component": _component,
    "commander": _role,
    "ops-lead": _role,
    "comms": _role,
    "timeline": _timeline,
    "action": _action,
    "caused-by": _merge_request,
    "fixed-by": _merge_request,
    "taxonomy": _taxonomy,
    "postmortem": _no_args,
    "close": _close,
    "publish": _publish,
    "unpublish": _no_args,
    "workaround": _workaround,
    "blog": _no_args,
    "help": _no_args,
})


def render_help(prefix: str = PREFIX) -> str:
    """Markdown list of every command with its usage and what it does.

    `prefix` is what goes before a command's name: `/`, or `/desk ` where GitLab would take the
    bare name for its own quick action.
    """
    lines = [f"- `{USAGE[name].format(prefix=prefix)}`: {DESCRIPTION[name]}" for name in COMMANDS]
    return "\n".join(lines)


__all__ = [
    "COMMANDS", "DESCRIPTION", "USAGE", "Command", "CommandError", "DESK_PREFIX", "PREFIX",
    "parse_commands", "render_help",
]
