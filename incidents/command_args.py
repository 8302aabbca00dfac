"""The arguments of each slash command: the text after its name in, a dict of arguments out.

Pure, and one line at a time (plus, for the commands whose message may run on, the lines below
it). Each parser takes `(rest, *, today, terms, more)` and raises BadArgs with a message for the
reply; incidents/command_table.py says which parser reads which command.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

from incidents.model import parse_severity, parse_status
from incidents.taxonomy import parse_tree, suggest
from incidents.timeline import TIMELINE_TAGS

# What is wrong, in plain words; handlers add the usage line.
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


class BadArgs(ValueError):
    """A command's arguments are wrong; the message says how, for the reply."""


def _text(rest: str, message: str) -> dict[str, Any]:
    if not rest:
        raise BadArgs(message)
    return {"text": rest}


def incident_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/incident <what went wrong>`."""
    return _text(rest, MISSING_TEXT)


def workaround_args(rest: str, *, more: str = "", **_: Any) -> dict[str, Any]:
    """`/workaround <text or link>`, the text perhaps going on below."""
    return _text("\n".join(part for part in (rest, more) if part), MISSING_WORKAROUND)


def publish_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/publish [postmortem]`."""
    if rest and rest.split()[0].lower() != "postmortem":
        raise BadArgs(PUBLISH_WHAT)
    return {"postmortem": bool(rest)}


def no_args(rest: str, **_: Any) -> dict[str, Any]:
    """A command without arguments."""
    return {}  # extra words are ignored: `/help please` still helps


def status_args(rest: str, *, more: str = "", **_: Any) -> dict[str, Any]:
    """`/status <status> [message]`, the message perhaps going on below."""
    if not rest:
        raise BadArgs(MISSING_STATUS)
    word, message = (rest.split(maxsplit=1) + [""])[:2]
    status = parse_status(word)
    if status is None:
        raise BadArgs(UNKNOWN_STATUS.format(value=shown(word)))
    return {"status": status, "message": "\n".join(part for part in (message.strip(), more) if part)}


def severity_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/severity <severity>`."""
    if not rest:
        raise BadArgs(MISSING_SEVERITY)
    words = rest.split()
    # `major outage` is two words; try the longest reading first.
    for count in (len(words), 2, 1):
        severity = parse_severity(" ".join(words[:count]))
        if severity is not None:
            return {"severity": severity}
    raise BadArgs(UNKNOWN_SEVERITY.format(value=shown(rest)))


def component_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/component <id> [<id> ...]`, with spaces or commas between."""
    ids = [part for part in re.split(r"[\s,]+", rest) if part]
    if not ids:
        raise BadArgs(MISSING_COMPONENT)
    for part in ids:
        if not _COMPONENT.match(part):
            raise BadArgs(BAD_COMPONENT.format(value=shown(part)))
    return {"components": tuple(dict.fromkeys(ids))}


def role_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/commander @user` and the other roles."""
    if not rest:
        raise BadArgs(MISSING_LOGIN)
    word = rest.split()[0].rstrip(".,;:!?")
    login = word[1:] if word.startswith("@") else word
    if not _LOGIN.match(login):
        raise BadArgs(BAD_LOGIN.format(value=shown(word)))
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
    raise BadArgs(message.format(value=shown(text)))


def _split_first(text: str) -> tuple[str, str]:
    """The first word and the rest; ("", "") for no words."""
    words = text.split(maxsplit=1)
    return (words[0], words[1] if len(words) > 1 else "") if words else ("", "")


def _timeline_day(rest: str, today: date) -> tuple[date | None, str]:
    """The entry's date when it starts with one, and the text after it."""
    first, after = _split_first(rest)
    if first and not _TIME.match(first) and (first.lower() in _RELATIVE_DAYS or _DATE_LIKE.match(first)):
        return _date(first, today, BAD_DATE), after
    return None, rest


def _timeline_time(rest: str) -> tuple[time, timedelta | None, str]:
    """`HH:MM`, its offset (attached or the next word), and the text after them."""
    first, rest = _split_first(rest)
    if not first or not _TIME_LIKE.match(first):
        raise BadArgs(MISSING_TIME)
    match = _TIME.match(first)
    if not match or int(match.group("hour")) > 23 or int(match.group("minute")) > 59:
        raise BadArgs(BAD_TIME.format(value=shown(first)))
    offset_text = match.group("offset")
    if offset_text is None:
        word, after = _split_first(rest)
        if word and _OFFSET_WORD.match(word):
            offset_text, rest = word, after
    return time(int(match.group("hour")), int(match.group("minute"))), _offset(offset_text), rest


def _timeline_tag(text: str) -> tuple[str | None, str]:
    """A leading `[tag]` and the text after it."""
    tagged = _TAG.match(text)
    if not tagged:
        return None, text
    tag = "-".join(tagged.group("tag").lower().replace("_", " ").split())
    if tag not in TIMELINE_TAGS:
        raise BadArgs(UNKNOWN_TAG.format(value=shown(tagged.group("tag")),
                                         tags=", ".join(f"[{t}]" for t in TIMELINE_TAGS)))
    return tag, tagged.group("text").strip()


def timeline_args(rest: str, *, today: date, **_: Any) -> dict[str, Any]:
    """`[YYYY-MM-DD] HH:MM [±HH:MM] [-] [[tag]] text`, read word by word."""
    day, rest = _timeline_day(rest, today)
    at, offset, rest = _timeline_time(rest)
    text = re.sub(r"^[-\u2013\u2014](?:\s+|$)", "", rest.strip()).strip()  # `14:05 - text` out of habit
    tag, text = _timeline_tag(text)
    if not text:
        raise BadArgs(MISSING_ENTRY_TEXT)
    return {"date": day, "time": at, "offset": offset, "tag": tag, "text": text}


def _offset(text: str | None) -> timedelta | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return timedelta(0)
    match = _OFFSET.match(text)
    if not match or int(match.group("h")) > 23 or int(match.group("m")) > 59:
        raise BadArgs(BAD_OFFSET.format(value=shown(text)))
    minutes = int(match.group("h")) * 60 + int(match.group("m"))
    return timedelta(minutes=-minutes if match.group("sign") != "+" else minutes)


def action_args(rest: str, *, today: date, **_: Any) -> dict[str, Any]:
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
        raise BadArgs(MISSING_ACTION_TEXT)
    return {"text": text, "owner": owner, "due": due, "repository": repository}


def merge_request_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/caused-by` and `/fixed-by`: a merge request reference, never a commit or an issue."""
    if not rest:
        raise BadArgs(MISSING_REF)
    ref = rest.split()[0].strip("<>").rstrip(".,;:")
    if _COMMIT_URL.match(ref) or _SHA.match(ref) and not ref.isdigit():
        raise BadArgs(COMMIT_REF.format(value=shown(ref)))
    if _ISSUE_URL.match(ref):
        raise BadArgs(ISSUE_REF.format(value=shown(ref)))
    if _MR_URL.match(ref) or _MR_SHORT.match(ref):
        return {"ref": ref, "kind": "merge_request"}
    raise BadArgs(BAD_REF.format(value=shown(ref)))


def taxonomy_args(rest: str, *, terms: frozenset[str], **_: Any) -> dict[str, Any]:
    """`/taxonomy TERM [< TERM ...]`, each a known term."""
    tree = parse_tree(rest) if rest else ()
    if not tree:
        raise BadArgs(MISSING_TERMS)
    for term in tree:
        if term not in terms:
            close = suggest(term, terms)
            message = UNKNOWN_TERM_SUGGESTION if close else UNKNOWN_TERM
            raise BadArgs(message.format(value=shown(term), suggestion=close))
    return {"terms": tree}


def close_args(rest: str, **_: Any) -> dict[str, Any]:
    """`/close --force [reason]`."""
    first, reason = (rest.split(maxsplit=1) + ["", ""])[:2]
    if first.lower() != FORCE_FLAG:
        raise BadArgs(CLOSE_NEEDS_FORCE)
    return {"force": True, "reason": reason.strip()}


def shown(value: str, limit: int = 60) -> str:
    """A bit of the user's text to quote back in a message: one line, short, no backticks."""
    value = " ".join(str(value).split()).replace("`", "'")
    return value if len(value) <= limit else value[: limit - 1] + "…"
