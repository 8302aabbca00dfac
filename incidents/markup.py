"""The issue body as CommonMark reads it: the one parser, and the visible text of its tokens.

The document parser and the editor both read bodies through here, so what the bot writes and
what the checks read can never disagree about where a block starts or what a reader sees.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

# An HTML comment, or one left open that runs to the end of the text.
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
# A URL in running text, stopping before brackets and angle brackets (the text's, not the URL's).
URL = r"https?://[^\s<>()\[\]]+?"
# A task-list box at the start of a list item's text.
CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\](?:\s+|$)")

_MARKDOWN = MarkdownIt("commonmark").use(front_matter_plugin)


def as_text(body: object) -> str:
    """A body as a string, whatever the forge handed over: None is empty."""
    if isinstance(body, str):
        return body
    return "" if body is None else str(body)


def normalize_text(text: str) -> str:
    """Line endings and NULs as CommonMark treats them, so our line numbers match the parser's."""
    return as_text(text).replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def parse_markdown(text: str) -> list[Token]:
    """The block tokens of an already normalized text; none for pathological nesting."""
    try:
        return _MARKDOWN.parse(text)
    except RecursionError:  # treat it as an empty body rather than crash
        return []


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


def plain_lines(inline: Token) -> list[tuple[int, str]]:
    """(line offset within the inline, visible text) for each line of an inline token."""
    lines: list[tuple[int, str]] = []
    offset = 0
    parts: list[str] = []
    for child in inline.children or ():
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
    for index, token in enumerate(tokens):
        if token.type == "list_item_open":
            items.append(token)
        elif token.type == "list_item_close":
            if items:
                items.pop()
        elif token.type == "inline":
            parent = tokens[index - 1] if index else None
            item = None
            if (items and parent is not None and parent.type == "paragraph_open"
                    and parent.map and items[-1].map and parent.map[0] == items[-1].map[0]):
                item = items[-1]
            yield token, parent, item
