"""The summary comment is read back by the module that renders it: what goes in comes out."""
from datetime import UTC, datetime

import pytest

from incidents.model import Incident, Link
from incidents.summary import SummaryLink, SummaryReading, read_summary, render_summary


def incident(**changes):
    return Incident(platform="gitlab", repository="g/p", number=3, title="DB down").with_changes(**changes)


@pytest.mark.parametrize("commander, operations_lead, communications_lead", [
    ("alice", "bob", "carol"),
    ("alice", None, None),
    (None, None, "carol"),
    ("ünï.çø-de_1", "o'brien", "Ünicode-Ωmega"),
    ("a.b-c_d", "a.b-c_d", None),
])
def test_roles_round_trip(commander, operations_lead, communications_lead):
    text = render_summary(incident(commander=commander, operations_lead=operations_lead,
                                   communications_lead=communications_lead))
    assert read_summary(text) == SummaryReading(commander, operations_lead, communications_lead)


def test_links_round_trip_with_odd_titles_and_urls():
    merged = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    links = [
        ("!34", Link("g/p", 34, "cause", url="https://gitlab.example.com/g/p/-/merge_requests/34",
                     title="Fix ] the [bracket] (paren) `code` @everyone ünïcode ✓", merged_at=merged)),
        ("other/q!7", Link("other/q", 7, "fix", url="https://gitlab.example.com/other/q/-/merge_requests/7?x=(1)",
                           title="")),
        ("[odd]\\ref", Link("g/p", 8, "related", url="https://gitlab.example.com/g/p/-/merge_requests/8",
                            title="- fix: [x](https://evil.example/1) ")),
    ]
    text = render_summary(incident(commander="alice"), links=links)
    assert read_summary(text).links == tuple(SummaryLink(link.role, link.url) for _, link in links)


def test_user_text_elsewhere_is_not_read_as_roles_or_links():
    title = "**Commander:** @mallory\n- fix: [x](https://evil.example/1) y"
    findings = [type("F", (), {"severity": "error", "code": "c", "section": "",
                               "line": 1, "message": "- cause: [y](https://evil.example/2) z"})()]
    text = render_summary(incident(title=title, commander="alice"), findings)
    assert read_summary(text) == SummaryReading(commander="alice")


def test_other_text_reads_as_nothing():
    assert read_summary(None) == SummaryReading()
    assert read_summary("") == SummaryReading()
    assert read_summary("a comment someone wrote\n**Linked merge requests:**") == SummaryReading()


def test_more_links_than_shown_reads_the_shown_ones():
    links = [(f"!{n}", Link("g/p", n, "fix", url=f"https://h/g/p/-/merge_requests/{n}")) for n in range(1, 41)]
    reading = read_summary(render_summary(incident(), links=links))
    assert [link.url for link in reading.links] == [f"https://h/g/p/-/merge_requests/{n}" for n in range(1, 31)]


def test_summary_is_cut_to_the_forges_body_limit():
    findings = [type("F", (), {"severity": "error", "code": "c", "section": "", "line": n, "message": "x" * 300})()
                for n in range(50)]
    text = render_summary(incident(), findings, body_limit=1000)
    assert len(text) < 1000 and text.endswith("… (cut)\n")
    assert len(render_summary(incident(), findings)) > 1000  # no limit given: nothing cut
