"""The handler context: a handler rule in memory, other repositories' label names, and one read of the issue."""
from __future__ import annotations

from forges.events import COMMENT, ISSUE, Actor, CommentEvent, IssueEvent
from handlers.blog import request_draft_by_label
from handlers.declare import stop_tracking
from handlers.router import Router
from incidents.model import Incident
from tests.fakes.context import MemoryStore, TablePermissions, fake_context
from tests.support import GITHUB_REST, load_fixture

INCIDENT = Incident(platform="github", repository="o/r", number=1, title="db is down")


def issue_event(action, labels=(), added=(), removed=(), login="alice"):
    return IssueEvent(kind=ISSUE, action=action, platform="github", repository="o/r", number=1,
                      actor=Actor(login, False), labels=tuple(labels), labels_added=tuple(added),
                      labels_removed=tuple(removed))


def test_removing_the_renamed_incident_label_stops_tracking_with_a_note_naming_it():
    ctx = fake_context(config_text="labels: {incident: outage}\n", store=MemoryStore(INCIDENT))
    stop_tracking(issue_event("unlabeled", removed=["outage"]), ctx)
    assert not ctx.store.get_incident("github", "o/r", 1).tracking
    [(_, _, note)] = ctx.forge.comments
    assert "`outage`" in note


def test_a_blog_draft_label_from_someone_not_allowed_is_taken_off_and_nothing_is_queued():
    ctx = fake_context(store=MemoryStore(INCIDENT),
                       permissions=TablePermissions({("blog", "mallory"): "to be listed"}))
    request_draft_by_label(issue_event("labeled", ["incident", "blog-draft"], ["blog-draft"], login="mallory"), ctx)
    assert ctx.forge.removed == [("o/r", 1, "blog-draft")] and ctx.jobs.asked == []
    request_draft_by_label(issue_event("labeled", ["incident", "blog-draft"], ["blog-draft"]), ctx)
    assert ctx.jobs.asked == [("blog", 1)]


def test_another_repository_has_its_own_label_names_and_its_config_is_read_once():
    reads = []
    ctx = fake_context(config_text='labels: {status_prefix: "todo/"}\n',
                       others={"o/api": 'labels: {status_prefix: "state/"}\n'})
    load = ctx.load_config
    ctx.load_config = lambda repository: reads.append(repository) or load(repository)
    assert ctx.labels.status_prefix == "todo/"
    assert ctx.config_for("O/R") is ctx.config  # the event's own repository
    assert ctx.config_for("o/api").labels.status_prefix == "state/"
    assert ctx.config_for("o/api") is ctx.config_for("o/api") and reads == ["o/api"]


def test_every_handler_of_an_event_gets_the_same_issue_read_once(settings, api):
    """ctx.issue: a comment event's issue is read with one GET, whatever the number of handlers asking."""
    from forges.github import GitHubForge

    payload = load_fixture("github", "issue_comment__created")
    repository, number = payload["repository"]["full_name"], payload["issue"]["number"]
    api.get(f"{GITHUB_REST}/repos/{repository}/issues/{number}", json=payload["issue"])
    ctx = fake_context(repository)
    ctx.forge = GitHubForge(settings)
    seen, router = [], Router()
    for _ in range(3):
        router.register(COMMENT, "created")(lambda event, ctx: seen.append(ctx.issue(event)))
    event = CommentEvent(kind=COMMENT, action="created", platform="github", repository=repository, number=number,
                         actor=Actor("alice", False), comment="hello")
    assert router.dispatch(event, ctx) == 3
    assert len(seen) == 3 and seen[0] is seen[1] is seen[2] and seen[0].number == number
    reads = [c for c in api.calls
             if c.request.method == "GET" and c.request.url.split("?")[0].endswith(f"/issues/{number}")]
    assert len(reads) == 1


def test_an_issue_event_carries_its_issue_so_it_costs_no_read():
    ctx = fake_context()
    event = issue_event("closed", ["incident"])
    assert ctx.issue(event) is ctx.issue(event) and ctx.issue(event).labels == ("incident",)
