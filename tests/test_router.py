"""The router: handlers registered by (kind, action), composed, bots filtered before any handler."""
from __future__ import annotations

from forges.events import COMMENT, ISSUE, Actor, CommentEvent, IssueEvent
from handlers import router as app_router
from handlers.router import Router


class FakeForge:
    bot_login = "desk[bot]"


def issue_event(action="opened", login="alice", is_bot=False):
    return IssueEvent(kind=ISSUE, action=action, platform="github", repository="o/r", number=1,
                      actor=Actor(login, is_bot))


def test_stacked_actions_and_composition_and_dependencies():
    seen = []
    one, two = Router(), Router()

    @one.register(ISSUE, "opened", "reopened")
    def first(event, forge, store):
        seen.append(("first", event.action, store))

    @two.register(ISSUE, "opened")
    def second(event, forge):
        seen.append(("second", event.action))

    composed = Router(one, two)
    assert composed.dispatch(issue_event("opened"), FakeForge(), store="S", config="C") == 2
    assert composed.dispatch(issue_event("reopened"), FakeForge(), store="S") == 1
    assert composed.dispatch(issue_event("closed"), FakeForge(), store="S") == 0
    assert seen == [("first", "opened", "S"), ("second", "opened"), ("first", "reopened", "S")]


def test_bot_comments_are_dropped_but_other_bots_state_changes_count():
    seen = []
    router = Router()
    router.register(COMMENT, "created")(lambda e, f: seen.append("comment"))
    router.register(ISSUE, "closed")(lambda e, f: seen.append("closed"))
    bot_comment = CommentEvent(kind=COMMENT, action="created", platform="github", repository="o/r", number=1,
                               actor=Actor("dependabot[bot]", True), comment="/status resolved")
    assert router.dispatch(bot_comment, FakeForge()) == 0
    assert router.dispatch(issue_event("closed", "merge-queue[bot]", True), FakeForge()) == 1
    assert router.dispatch(issue_event("closed", "desk[bot]", True), FakeForge()) == 0  # our own write
    assert seen == ["closed"]


def test_the_app_router_handles_incident_issue_events():
    assert app_router.handlers_for(issue_event("opened"))
    assert app_router.handlers_for(issue_event("unlabeled"))
    assert not app_router.handlers_for(issue_event("transferred"))
