"""The block parser that tries its rules by a line's first character gives markdown-it's own tokens."""
from __future__ import annotations

import random

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from incidents.markup import by_first_character, parse_markdown

PLAIN = MarkdownIt("commonmark").disable(["inline", "normalize", "text_join"])
FRONT_MATTER = MarkdownIt("commonmark").use(front_matter_plugin).disable(["inline", "normalize", "text_join"])

# Line starts that each block rule (or none) matches, indented or not, to build documents from.
INDENTS = ("", "", " ", "   ", "    ", "\t", "      ")
STARTS = ("- ", "* ", "+ ", "1. ", "2) ", "> ", ">", "# ", "###### ", "####### ", "```", "~~~", "``` a`b", "---",
          "***", "___", "- - -", "===", "[a]: /url", "[a]:", "<div>", "</div>", "<!-- c", "-->", "<pre>", "<?x",
          "text", "[ ] task", "[x] done", "-", "1.", "", "", "foo", "<", "`", "~", "_", "1234567890. x", "\\# x", "ä")
TAILS = ("", "", " x", "x", " ", " 00:00 - [detected] y")


def _document(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 20)):
        parts = [rng.choice(STARTS) + rng.choice(TAILS) for _ in range(rng.choice((1, 1, 2, 3)))]
        lines.append(rng.choice(INDENTS) + "".join(parts))
    return ("---\n" if rng.random() < 0.2 else "") + "\n".join(lines) + rng.choice(("", "\n"))


def _dump(markdown: MarkdownIt, text: str) -> list[dict]:
    return [token.as_dict() for token in markdown.parse(text, {})]


def _ours(text: str) -> list[dict]:
    """parse_markdown's tokens, without the link definitions it hands its inlines (markdown-it keeps those apart)."""
    dumped = [token.as_dict() for token in parse_markdown(text)]
    for token in dumped:
        token["meta"].pop("incident_desk.env", None)
    return dumped


@pytest.mark.parametrize("seed", range(4))
def test_the_tokens_are_markdown_its_own(seed):
    rng = random.Random(seed)
    for _ in range(300):
        text = _document(rng)
        expected = _dump(FRONT_MATTER if text.startswith("-") else PLAIN, text)
        assert _ours(text) == expected, text


def test_a_postmortem_reads_as_markdown_it_reads_it():
    text = ("---\ntitle: x\n---\n## Timeline\n\n**June 25, 2021:**\n\n- 14:05 - [detected] alert (!12)\n"
            "  > quoted\n\n```\n14:06 - in a fence\n```\n\n    indented code\n\n***\n\n"
            "## Actions\n\n- [ ] Add an alert @ana due 2026-12-01 #4\n  1. nested\n<!-- note -->\n[ref]: /x\n")
    assert _ours(text) == _dump(FRONT_MATTER, text)


class _Lines:
    """The part of a StateBlock a block rule reads to find a line's first character."""

    def __init__(self, text: str):
        self.src = text
        self.bMarks, self.tShift, self.eMarks = [], [], []
        start = 0
        for line in text.split("\n"):
            self.bMarks.append(start)
            self.tShift.append(len(line) - len(line.lstrip(" ")))
            self.eMarks.append(start + len(line))
            start += len(line) + 1


def test_only_the_rules_for_the_first_character_are_tried_in_their_order():
    tried: list[str] = []

    def rule(name: str, matches: bool):
        def try_it(state, start_line, end_line, silent):
            tried.append(name)
            return matches
        return try_it

    heading, hr, paragraph = rule("heading", False), rule("hr", False), rule("paragraph", True)
    first_matching = by_first_character([heading, hr, paragraph], {heading: "#", hr: "*-_"})
    state = _Lines("- x\n  # y\nz")

    assert first_matching(state, 0, 3, False) is True
    assert tried == ["hr", "paragraph"]
    tried.clear()
    assert first_matching(state, 1, 3, True) is True  # after the indent
    assert tried == ["heading", "paragraph"]
    tried.clear()
    assert first_matching(state, 2, 3, True) is True
    assert tried == ["paragraph"]


def test_past_the_end_every_rule_is_tried():
    tried: list[str] = []

    def rule(name: str):
        def try_it(state, start_line, end_line, silent):
            tried.append(name)
            return False
        return try_it

    heading, paragraph = rule("heading"), rule("paragraph")
    state = _Lines("x")
    state.bMarks.append(1)
    state.tShift.append(0)
    assert by_first_character([heading, paragraph], {heading: "#"})(state, 1, 2, True) is False
    assert tried == ["heading", "paragraph"]


@pytest.mark.parametrize("text", [
    "Title\n=====\n\ntext\n",  # a setext heading: lheading's own
    "- item\n  Title\n  ---\n- next\n",  # one inside a list item
    "> quoted\n> Title\n> ===\nlazy\n",  # in a blockquote, where the scan ends short of the text's end
    "para one\nstill one\n    indented continuation\n# heading ends it\n",
    "para\n- list ends it\n\n1. item\n2) other\n",
    "   para\n\t--- \nafter\n",
    "para\n ===  x\n",  # not an underline
])
def test_paragraphs_and_setext_headings_read_as_markdown_it_reads_them(text):
    assert _ours(text) == _dump(PLAIN, text)


def test_a_paragraph_leaves_the_parent_type_as_markdown_it_leaves_it():
    """lheading, failing, leaves parentType "paragraph"; a list after a paragraph then reads as markdown-it has it."""
    text = "text\n\n2. not one\n\npara\n  1. nested?\n"
    assert _ours(text) == _dump(PLAIN, text)
