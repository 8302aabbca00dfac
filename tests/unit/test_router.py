"""The router: handlers registered by (kind, action), composed, bots filtered before any handler."""
from __future__ import annotations

from forges.events import COMMENT, ISSUE, Actor, CommentEvent, IssueEvent
from handlers import router as app_router
from handlers.router import Router


class FakeForge:
    bot_login = "desk[bot]"


class FakeContext:
    """Only what the router reads: the forge (for the bot's login); handlers get the whole object."""

    def __init__(self, store=None):
        self.forge, self.store = FakeForge(), store


def issue_event(action="opened", login="alice", is_bot=False):
    return IssueEvent(kind=ISSUE, action=action, platform="github", repository="o/r", number=1,
                      actor=Actor(login, is_bot))


def test_stacked_actions_and_composition_and_dependencies():
    seen = []
    one, two = Router(), Router()

    @one.register(ISSUE, "opened", "reopened")
    def first(event, ctx):
        seen.append(("first", event.action, ctx.store))

    @two.register(ISSUE, "opened")
    def second(event, ctx):
        seen.append(("second", event.action))

    composed = Router(one, two)
    assert composed.dispatch(issue_event("opened"), FakeContext("S")) == 2
    assert composed.dispatch(issue_event("reopened"), FakeContext("S")) == 1
    assert composed.dispatch(issue_event("closed"), FakeContext("S")) == 0
    assert seen == [("first", "opened", "S"), ("second", "opened"), ("first", "reopened", "S")]


def test_bot_comments_are_dropped_but_other_bots_state_changes_count():
    seen = []
    router = Router()
    router.register(COMMENT, "created")(lambda e, f: seen.append("comment"))
    router.register(ISSUE, "closed")(lambda e, f: seen.append("closed"))
    bot_comment = CommentEvent(kind=COMMENT, action="created", platform="github", repository="o/r", number=1,
                               actor=Actor("dependabot[bot]", True), comment="/status resolved")
    assert router.dispatch(bot_comment, FakeContext()) == 0
    assert router.dispatch(issue_event("closed", "merge-queue[bot]", True), FakeContext()) == 1
    assert router.dispatch(issue_event("closed", "desk[bot]", True), FakeContext()) == 0  # our own write
    assert seen == ["closed"]


def test_the_app_router_handles_incident_issue_events():
    assert app_router.handlers_for(issue_event("opened"))
    assert app_router.handlers_for(issue_event("unlabeled"))
    assert not app_router.handlers_for(issue_event("pinned"))  # "transferred" is the board's (a moved board issue)
