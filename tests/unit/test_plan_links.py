"""plan_links: what a merge request event changes in its links to incidents, from plain values."""
from dataclasses import dataclass
from datetime import UTC, datetime

from incidents.forge_facts import MergeRequestSyntax
from incidents.linking import (
    COMMAND,
    COMMITS,
    LINK_MARKER,
    TEXT,
    LinkChange,
    LinkPlan,
    Reference,
    back_link_comment,
    merge_note,
    plan_links,
    references_to_look_up,
)
from incidents.model import Incident, Link

GITHUB_LIKE = MergeRequestSyntax("#", "pull request", True, False)
GITLAB_LIKE = MergeRequestSyntax("!", "merge request", False, True)
MERGED = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


@dataclass(frozen=True)
class MergeRequest:
    repository: str = "acme/shop"
    number: int = 34
    title: str = "Revert the cache change"
    url: str = "https://github.com/acme/shop/pull/34"
    head_sha: str | None = "abc"
    commits_changed: bool = True


def incident(number=12, repository="acme/shop", tracking=True, title="Checkout down"):
    return Incident("github", repository, number, title, tracking=tracking)


def link(role="fix", source=TEXT, check_state=None, mr=MergeRequest(), merged_at=None):
    return Link(mr.repository, mr.number, role, source, mr.url, mr.title, merged_at, mr.head_sha, check_state)


# --- references_to_look_up ------------------------------------------------------------------------

def test_references_say_where_they_come_from():
    refs = references_to_look_up("Fixes incident #12", "Related incident: other/repo#3", ["Caused-by: #12", "x"],
                                 "acme/shop", "github.com")
    assert refs == [Reference("acme/shop", 12, "fix", COMMITS), Reference("other/repo", 3, "related", TEXT)]


def test_urls_to_another_forge_are_not_ours():
    body = "Fixes incident https://gitlab.com/g/p/-/issues/4 and incident: https://github.com/acme/shop/issues/5"
    assert references_to_look_up("", body, [], "acme/shop", "github.com") == [
        Reference("acme/shop", 5, "related", TEXT)]


# --- plan_links ------------------------------------------------------------------------------------

def test_a_referenced_tracked_incident_is_linked_and_commented():
    twelve = incident()
    plan = plan_links(MergeRequest(), [(Reference("acme/shop", 12, "fix", TEXT), twelve)], [],
                      merged_at=None, syntax=GITHUB_LIKE)
    assert plan == LinkPlan(unlink=(), save=(LinkChange(twelve, link()),), reconcile=(twelve,),
                            comment=back_link_comment([(twelve, "fix", TEXT)], "pull request"))
    assert plan.comment.startswith(LINK_MARKER)
    assert "Incident Desk linked this pull request to:\n\n- the fix of incident acme/shop#12: Checkout down" \
        in plan.comment


def test_unknown_or_untracked_incidents_are_not_linked():
    plan = plan_links(MergeRequest(), [(Reference("acme/shop", 12, "fix", TEXT), None),
                                       (Reference("acme/shop", 13, "fix", TEXT), incident(13, tracking=False))],
                      [], merged_at=None, syntax=GITHUB_LIKE)
    assert plan == LinkPlan()


def test_a_reference_gone_from_the_text_unlinks_but_a_command_link_stays():
    gone, by_command = incident(12), incident(13)
    plan = plan_links(MergeRequest(), [], [(gone, link()), (by_command, link(source=COMMAND))],
                      merged_at=None, syntax=GITHUB_LIKE)
    assert plan == LinkPlan(unlink=(gone,), save=(), reconcile=(gone,), comment=None)


def test_a_command_link_keeps_its_role_and_source_and_the_check_state_is_kept():
    twelve = incident()
    stored = link(role="cause", source=COMMAND, check_state="neutral|x")
    plan = plan_links(MergeRequest(), [(Reference("acme/shop", 12, "fix", TEXT), twelve)], [(twelve, stored)],
                      merged_at=None, syntax=GITHUB_LIKE)
    assert plan.save == (LinkChange(twelve, link(role="cause", source=COMMAND, check_state="neutral|x")),)
    assert "the fix of incident" in plan.comment  # the comment says what the text says


def test_commits_not_read_this_time_still_hold():
    twelve, thirteen = incident(12), incident(13)
    same_commits = MergeRequest(commits_changed=False)
    plan = plan_links(same_commits, [(Reference("acme/shop", 13, "fix", TEXT), thirteen)],
                      [(twelve, link(role="cause", source=COMMITS)), (thirteen, link(role="related", source=COMMITS))],
                      merged_at=None, syntax=GITHUB_LIKE)
    assert plan.unlink == ()
    assert [(c.incident.number, c.link.role, c.link.source) for c in plan.save] == [
        (13, "fix", COMMITS), (12, "cause", COMMITS)]
    reread = plan_links(MergeRequest(commits_changed=True), [], [(twelve, link(role="cause", source=COMMITS))],
                        merged_at=None, syntax=GITHUB_LIKE)
    assert reread.unlink == (twelve,)  # the commits were read and no longer say it


def test_a_merge_goes_into_each_linked_timeline():
    twelve, other = incident(12), incident(3, repository="other/repo")
    found = [(Reference("acme/shop", 12, "fix", TEXT), twelve), (Reference("other/repo", 3, "cause", TEXT), other)]
    plan = plan_links(MergeRequest(), found, [], merged_at=MERGED, syntax=GITLAB_LIKE)
    assert [c.merge_note for c in plan.save] == ["Fix merged: !34 Revert the cache change",
                                                 "Cause merged: acme/shop!34 Revert the cache change"]
    assert all(c.link.merged_at == MERGED for c in plan.save)
    assert "Incident Desk linked this merge request to:" in plan.comment


def test_each_touched_incident_is_reconciled_once():
    twelve = incident(12)
    gone = incident(13)
    plan = plan_links(MergeRequest(), [(Reference("acme/shop", 12, "fix", TEXT), twelve)],
                      [(gone, link()), (twelve, link())], merged_at=None, syntax=GITHUB_LIKE)
    assert plan.reconcile == (gone, twelve)


def test_merge_note_is_short_and_the_comment_escapes_titles():
    long = Link("acme/shop", 34, "fix", title="x" * 400)
    assert len(merge_note(incident(), long, GITHUB_LIKE)) == 300
    comment = back_link_comment([(incident(title="@everyone <b>"), "related", TEXT)], "pull request")
    assert "@everyone" not in comment and "<b>" not in comment and "related to incident" in comment
