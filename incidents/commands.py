"""Slash commands in issue comments and notes: which lines are commands and what they ask for.

Pure: a comment's text in, a list of parsed commands and errors out. Whether the author may run
a command, and what it does, is for handlers/. Structure comes from a CommonMark parse
(markdown-it-py), so commands in code blocks, HTML comments and quotes are never run; regular
expressions only ever look at one line. The commands themselves are in incidents/command_table.py,
their arguments' parsers in incidents/command_args.py.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from markdown_it import MarkdownIt

from incidents.command_args import BadArgs
from incidents.command_table import SPECS
from incidents.taxonomy import known_terms

# The word that makes every command unambiguous: GitLab runs several bare names itself.
DESK = "desk"
DESK_PREFIX = f"/{DESK} "

UNKNOWN_COMMAND = "`{name}` is not an Incident Desk command."
MISSING_COMMAND = "Say which command to run after `/desk`."

_COMMAND_LINE = re.compile(r"^/(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?=\s|$)\s*(?P<rest>.*)$")
_DESK_INNER = re.compile(r"^/?(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?=\s|$)\s*(?P<rest>.*)$")

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
        return (name, rest, False) if name in SPECS else None
    inner = _DESK_INNER.match(rest)
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
    lines = text.split("\n")
    found: list[Command | CommandError] = []
    for index, line in enumerate(lines):
        if index in ignored or not line.lstrip().startswith("/"):
            continue
        parsed = _command_name(line)
        if parsed is not None:
            found.append(_parse_line(parsed[0], parsed[1], lines, index, ignored, today=today, terms=terms))
    return found


def _parse_line(name: str | None, rest: str, lines: list[str], index: int, ignored: set[int], *,
                today: date, terms: frozenset[str]) -> Command | CommandError:
    """The command on line `index` (0-based), its name and argument text already split off."""
    raw = lines[index].strip()
    if name is None:
        return CommandError(None, index + 1, raw, MISSING_COMMAND)
    spec = SPECS.get(name)
    if spec is None:
        return CommandError(None, index + 1, raw, UNKNOWN_COMMAND.format(name=name))
    # Only some commands' text may run on below (Fluid's two-line closing message); other commands'
    # text is one line: a timeline entry, an action item or an issue title.
    more = _message_lines(lines, index, ignored) if spec.multiline else ""
    try:
        args = spec.parse(rest, today=today, terms=terms, more=more)
    except BadArgs as error:
        return CommandError(name, index + 1, raw, str(error))
    return Command(name, MappingProxyType(args), index + 1, raw)


def _message_lines(lines: list[str], index: int, ignored: set[int]) -> str:
    """The lines after a command up to a blank line, the next command line, a quote or a code block."""
    taken = []
    for number in range(index + 1, len(lines)):
        line = lines[number].strip()
        if not line or number in ignored or _COMMAND_LINE.match(line):
            break
        taken.append(line)
    return "\n".join(taken)


__all__ = ["DESK", "DESK_PREFIX", "MISSING_COMMAND", "UNKNOWN_COMMAND", "Command", "CommandError", "parse_commands"]
