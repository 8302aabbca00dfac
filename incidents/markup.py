"""The issue body as CommonMark reads it: the one parser, and the visible text of its tokens.

The document parser and the editor both read bodies through here, so what the bot writes and
what the checks read can never disagree about where a block starts or what a reader sees.

The parse is block-level only: an inline token's children (its text, code and links) are parsed the
first time someone asks for them (`children`), since most lines of a long body are read by their raw
content alone, and the inline pass is a third of markdown-it's time on a 1 MB postmortem.
"""
from __future__ import annotations

import gc
import importlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from markdown_it import MarkdownIt, rules_block
from markdown_it.common.utils import mdTrim
from markdown_it.ruler import Ruler
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore, text_join
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

# An HTML comment, or one left open that runs to the end of the text.
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
# A URL in running text, stopping before brackets and angle brackets (the text's, not the URL's).
URL = r"https?://[^\s<>()\[\]]+?"
# A task-list box at the start of a list item's text.
CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\](?:\s+|$)")
# What a repository path such as `group/api` in `group/api#12` is made of; the four non-ASCII letters are
# those `[A-Za-z]` also matches under re.IGNORECASE (K, ſ, ı, İ), so a run never stops short of a path.
_PATH_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/\u212a\u017f\u0131\u0130"

# The block rules that can only match at a line whose first character (after its indent) is one of these: each
# returns False at any other line, before it changes anything. The rest (code, lheading, paragraph, plugins'
# rules) are tried at every line.
_FIRST_CHARACTERS: dict[object, str] = {
    rules_block.fence: "~`",
    rules_block.blockquote: ">",
    rules_block.hr: "*-_",
    rules_block.list_block: "*-+0123456789",
    rules_block.reference: "[",
    rules_block.html_block: "<",
    rules_block.heading: "#",
}
BlockRule = Callable[[StateBlock, int, int, bool], bool]


def by_first_character(rules: Sequence[BlockRule], first_characters: Mapping[object, str] = _FIRST_CHARACTERS
                       ) -> BlockRule:
    """One block rule that tries `rules` in order, but only those that can match at the line's first character.

    markdown-it tries every rule at every line, and again as the terminators of each paragraph, list and
    quote: most of them only to find the line does not start with their marker. Same tokens, fewer calls.
    `first_characters` says which rules match only at which characters; the others are tried everywhere.
    """
    anywhere = [rule for rule in rules if rule not in first_characters]
    chosen = {
        character: [rule for rule in rules if character in first_characters.get(rule, character)]
        for rule in rules for character in first_characters.get(rule, "")
    }

    def first_matching(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        position = state.bMarks[start_line] + state.tShift[start_line]
        src = state.src
        # Past the end of the text every rule is tried, as markdown-it would (and fails as it would).
        for rule in chosen.get(src[position], anywhere) if position < len(src) else rules:
            if rule(state, start_line, end_line, silent):
                return True
        return False

    return first_matching


def _paragraph_end(state: StateBlock, start_line: int, end_line: int) -> tuple[int, bool]:
    """Where lheading's scan from `start_line` stops, and whether that line underlines a setext heading.

    The scan of markdown-it's lheading rule, line for line (state.parentType is "paragraph" during it).
    """
    terminators = state.md.block.ruler.getRules("paragraph")
    line = start_line + 1
    while line < end_line and not state.isEmpty(line):
        count = state.sCount[line]
        if count - state.blkIndent > 3:  # a lazy continuation, whatever it holds
            line += 1
            continue
        if count >= state.blkIndent:
            position, maximum = state.bMarks[line] + state.tShift[line], state.eMarks[line]
            if position < maximum and state.src[position] in ("-", "="):
                position = state.skipSpaces(state.skipCharsStr(position, state.src[position]))
                if position >= maximum:
                    return line, True
        if count < 0:  # a blockquote's quirk
            line += 1
            continue
        for rule in terminators:
            if rule(state, line, end_line, True):
                return line, False
        line += 1
    return line, False


def setext_or_paragraph(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's lheading rule, then its paragraph rule, scanning the lines once instead of twice.

    lheading looks for a setext underline below the line and, finding none, fails; paragraph then scans
    the same lines with the same terminators to find where it ends. Here the paragraph is made from the
    first scan, as markdown-it's paragraph rule makes it (it leaves parentType "paragraph", as lheading does
    when it fails); a heading, and a scan whose end is not the paragraph's (end_line short of lineMax),
    go to the two rules themselves.
    """
    if state.is_code_block(start_line) or end_line != state.lineMax:
        return (rules_block.lheading(state, start_line, end_line, silent)
                or rules_block.paragraph(state, start_line, end_line, silent))
    parent = state.parentType
    state.parentType = "paragraph"
    line, underlined = _paragraph_end(state, start_line, end_line)
    if underlined:
        state.parentType = parent
        return rules_block.lheading(state, start_line, end_line, silent)
    state.line = line
    token = state.push("paragraph_open", "p", 1)
    token.map = [start_line, line]
    token = state.push("inline", "", 0)
    token.content = mdTrim(state.getLines(start_line, line, state.blkIndent, False))
    token.map = [start_line, line]
    token.children = []
    state.push("paragraph_close", "p", -1)
    return True


def _one_scan(rules: list[BlockRule]) -> list[BlockRule]:
    """The rules with lheading and paragraph, when they come last in that order, as setext_or_paragraph."""
    if rules[-2:] == [rules_block.lheading, rules_block.paragraph]:
        return [*rules[:-2], setext_or_paragraph]
    return rules


class _FirstCharacterRuler(Ruler[BlockRule]):
    """A block ruler whose every chain is one `by_first_character` rule over the chain's rules."""

    def __compile__(self) -> None:
        super().__compile__()
        assert self.__cache__ is not None
        self.__cache__ = {chain: [by_first_character(_one_scan(rules))]
                          for chain, rules in self.__cache__.items() if rules}


def _parser(*plugins: Callable[[MarkdownIt], None]) -> MarkdownIt:
    """CommonMark with `plugins`, block-level only (see above), its block rules tried by first character."""
    markdown = MarkdownIt("commonmark")
    for plugin in plugins:
        markdown.use(plugin)
    markdown.disable(["inline", "normalize", "text_join"])  # text_join has no children to join before `inline`
    markdown.block.ruler.__class__ = _FirstCharacterRuler
    return markdown


# No inline pass (see above), and no `normalize` pass: parse_markdown normalizes with plain replaces,
# where markdown-it's regex substitutes every newline of a long body by itself.
_MARKDOWN = _parser(front_matter_plugin)
# The same without the front-matter rule, which matches only where the text starts with `-`: elsewhere it is
# tried, and fails, at every line of every block.
_MARKDOWN_NO_FRONT_MATTER = _parser()


class _Silent:
    """A logger that drops debug lines without a call into logging."""

    def debug(self, *_args: object, **_kwargs: object) -> None:
        """Nothing: the line is not wanted."""


# markdown-it's block rules log "entering <rule>" at DEBUG for every rule tried on every line: a tenth
# of a long body's parse spent in logging for lines nobody enables. Those modules get a silent logger.
for _rule in ("blockquote", "code", "fence", "heading", "hr", "html_block", "lheading", "list", "paragraph",
              "reference"):
    vars(importlib.import_module(f"markdown_it.rules_block.{_rule}"))["LOGGER"] = _Silent()
# Where an inline token keeps its parse's env (the link reference definitions its text may use).
_ENV = "incident_desk.env"


def path_start(text: str, marker: str) -> int:
    """Where a reference ending in the first `marker` (`#`, `!`) can start: -1 when there is none.

    That is the start of the run of path characters just before the marker. A pattern of the form
    `(?<!…)(path)?marker…` cannot match before it, so searching from there finds what searching the
    whole text would, without trying the pattern at every position of a long line.
    """
    start = text.find(marker)
    return len(text[:start].rstrip(_PATH_CHARS)) if start > 0 else start


def without_comments(text: str) -> str:
    """The text with its HTML comments removed (untouched, and at no cost, when it has none)."""
    return HTML_COMMENT.sub("", text) if "<!--" in text else text


def as_text(body: object) -> str:
    """A body as a string, whatever the forge handed over: None is empty."""
    if isinstance(body, str):
        return body
    return "" if body is None else str(body)


def normalize_text(text: str) -> str:
    """Line endings and NULs as CommonMark treats them, so our line numbers match the parser's."""
    return as_text(text).replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a body is parsed and read.

    A 1 MB body makes some 70,000 tokens and as many values read from them, none of them garbage yet;
    each collection the allocations trigger walks them all again, a sixth of the parse. What the parse
    drops is freed by reference counting; anything cyclic waits for the next collection after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_markdown(text: str) -> list[Token]:
    """The block tokens of a text (normalized here if it is not yet); none for pathological nesting."""
    text = normalize_text(text)
    env: dict = {}
    try:
        tokens = (_MARKDOWN if text.startswith("-") else _MARKDOWN_NO_FRONT_MATTER).parse(text, env)
    except RecursionError:  # treat it as an empty body rather than crash
        return []
    if env:  # `[label]: url` definitions: a `[label]` in an inline is then a link, not text
        for token in tokens:
            if token.type == "inline":
                token.meta[_ENV] = env
    return tokens


def children(inline: Token) -> list[Token]:
    """An inline token's children, parsed now if nobody has read them yet (as markdown-it would have)."""
    if inline.children or not inline.content:
        return inline.children or []
    state = StateCore(inline.content, _MARKDOWN, inline.meta.get(_ENV, {}))
    state.tokens = [inline]
    try:
        inline.children = _MARKDOWN.inline.parse(inline.content, _MARKDOWN, state.env, [])
    except RecursionError:  # pathological nesting reads as no text
        inline.children = []
    text_join(state)  # the core rule after `inline`: escapes and entities become plain text
    return inline.children


def visible_text(tokens: Sequence[Token]) -> str:
    """The words a reader sees, without HTML comments or markup; empty for a placeholder."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline":
            parts.extend(text for _offset, text in plain_lines(token))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        elif token.type == "html_block":
            parts.append(HTML_COMMENT.sub("", token.content))
    return " ".join(" ".join(parts).split())


def shows_nothing(tokens: Sequence[Token], placeholder: str) -> bool:
    """Whether the visible text of the tokens is empty or exactly `placeholder`.

    Stops at the first block that shows more, so that a long section costs a few inline parses.
    """
    parts: list[str] = []
    for token in tokens:
        parts.append(visible_text([token]))
        text = " ".join(" ".join(parts).split())
        if len(text) > len(placeholder):
            return False
    return " ".join(" ".join(parts).split()) in ("", placeholder)


def plain_lines(inline: Token) -> list[tuple[int, str]]:
    """(line offset within the inline, visible text) for each line of an inline token."""
    lines: list[tuple[int, str]] = []
    offset = 0
    parts: list[str] = []
    for child in children(inline):
        if child.type in ("softbreak", "hardbreak"):
            lines.append((offset, "".join(parts)))
            offset, parts = offset + 1, []
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "html_inline":
            offset += child.content.count("\n")  # a comment spanning lines still moves the line
    lines.append((offset, "".join(parts)))
    return lines


def inlines(tokens: Sequence[Token]) -> Iterator[tuple[Token, Token | None, Token | None]]:
    """Each inline token with the block that holds it and the list item it opens, if any."""
    items: list[Token] = []
    parent: Token | None = None  # the token before this one
    for token in tokens:
        kind = token.type
        if kind == "inline":
            item = None
            if (items and parent is not None and parent.type == "paragraph_open"
                    and parent.map and items[-1].map and parent.map[0] == items[-1].map[0]):
                item = items[-1]
            yield token, parent, item
        elif kind == "list_item_open":
            items.append(token)
        elif kind == "list_item_close" and items:
            items.pop()
        parent = token
