"""The one parse of a body: block tokens now, an inline's children when first read, as markdown-it reads them."""
import pytest
from markdown_it import MarkdownIt

from incidents.document import parse_document
from incidents.markup import children, parse_markdown, plain_lines
from incidents.profiles import PROFILES

ICSC = PROFILES["impact-cause-solution-conclusion"]

INLINE_TEXTS = [
    "plain words\nover two lines",
    "escaped \\*stars\\* and \\[brackets\\]",
    "entities &amp; &#116;ext &copy;",
    "`code span` and **strong** and _emphasis_",
    "a [label] link\n\n[label]: https://example.com/x",  # a reference definition elsewhere in the body
    "<!-- hidden --> shown <b>html</b>\nnext",
    "an autolink <https://example.com/%74> and an image ![alt](x.png)",
    "> quoted **text**\n> - listed `item`",
]


def eager_lines(text):
    tokens = MarkdownIt("commonmark").parse(text)
    return [plain_lines(token) for token in tokens if token.type == "inline"]


@pytest.mark.parametrize("text", INLINE_TEXTS)
def test_an_inline_read_later_shows_what_an_eager_parse_shows(text):
    lazy = [plain_lines(token) for token in parse_markdown(text) if token.type == "inline"]
    assert lazy == eager_lines(text)


def test_an_inline_nobody_read_is_not_parsed_and_is_parsed_once():
    inline = next(t for t in parse_markdown("some *text*") if t.type == "inline")
    assert inline.children == []
    first = children(inline)
    assert [c.type for c in first] == ["text", "em_open", "text", "em_close"]
    assert children(inline) is first


@pytest.mark.parametrize("line", [
    "&#84;axonomy: MISSING_TEST", "**Taxonomy**: MISSING_TEST", "TAXONOMY: MISSING_TEST", "Taxo*nomy*: MISSING_TEST",
    "Taxo<!-- x -->nomy: MISSING_TEST", "Tax[o](https://x.example/y)nomy: MISSING_TEST",
])
def test_a_taxonomy_line_is_found_however_its_word_is_written(line):
    body = f"## Impact\n\nx\n\n## Cause\n\ny\n\n## Solution\n\nz\n\n## Conclusion\n\nDone.\n\n{line}\n"
    doc = parse_document(body, ICSC)
    assert doc.taxonomy is not None and doc.taxonomy.terms == ("MISSING_TEST",)


@pytest.mark.parametrize(("line", "refs"), [
    ("fixed by PR #35", [("merge_request", "#35")]),
    ("see merge request group/api#7", [("merge_request", "group/api#7")]),
    ("caused by https://github.com/a/b/commit/abcdef1 and !12", [
        ("merge_request", "!12"), ("commit", "https://github.com/a/b/commit/abcdef1")]),
    ("issue group/api#7 is not a merge request", []),
])
def test_references_are_found_on_the_lines_that_cite_them(line, refs):
    doc = parse_document(f"## Cause\n\n{line}\n", ICSC)
    assert [(r.kind, r.ref) for r in doc.references] == refs
