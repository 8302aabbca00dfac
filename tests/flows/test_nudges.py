"""Issue 18, item 3: nudges after resolve, under a frozen clock — an overdue action item nudged once (in its
follow-up issue, mentioning its owner), not twice in a day, weekly after, stopped when ticked; an unfinished
postmortem nudges the commander N working days after resolve, naming the missing sections."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker
from worker.nudges import schedule_sweep

REPO, BACKLOG = "Codertocat/Hello-World", "team/backlog"
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ACTIONS = """Adding the actions.
/action add alert on queue depth @alice due 2026-12-01 in team/backlog
/action add write the runbook @carol due 2026-12-01
"""


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "carol": "write", "maria": "maintain"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    fake.add_issue(BACKLOG, 1, "Older backlog item")
    return fake


def say(client, redis_conn, github, text: str, login: str = "alice", where: tuple = (REPO, 2)) -> None:
    post_github(client, "issue_comment", github.comment_event(*where, login, text))
    run_worker(redis_conn)


def sweep(clock, redis_conn, at: datetime) -> None:
    clock.move_to(at)
    schedule_sweep(redis_conn, timedelta(0))
    run_worker(redis_conn)


def nudges(github, repository: str, number: int) -> list[str]:
    return [c for c in github.bot_comments(repository, number) if "is not done yet" in c or "postmortem is" in c]


def test_overdue_action_nudged_once_a_day_at_most_then_weekly_and_stopped_when_done(client, redis_conn, store,
                                                                                    github):
    with time_machine.travel(MONDAY, tick=False) as clock:
        say(client, redis_conn, github, "/incident db is down", where=(REPO, 1))
        say(client, redis_conn, github, ACTIONS)
        sweep(clock, redis_conn, MONDAY + timedelta(days=1))  # Tuesday: due today, not overdue yet
        assert nudges(github, BACKLOG, 2) == [] and nudges(github, REPO, 2) == []

        sweep(clock, redis_conn, MONDAY + timedelta(days=2))  # Wednesday, the next working day: one each
        [in_follow_up] = nudges(github, BACKLOG, 2)
        assert "@alice" in in_follow_up and "alert on queue depth" in in_follow_up and "2026-12-01" in in_follow_up
        [in_incident] = nudges(github, REPO, 2)
        assert "@carol" in in_incident and "write the runbook" in in_incident
        summary = [c for c in github.bot_comments(REPO, 2) if c.startswith(SUMMARY_MARKER)][-1]
        assert "alert on queue depth" in summary and "**overdue** (due 2026-12-01)" in summary

        sweep(clock, redis_conn, MONDAY + timedelta(days=2, hours=5))  # later that day: nothing more
        sweep(clock, redis_conn, MONDAY + timedelta(days=3))  # Thursday: weekly, so nothing
        assert len(nudges(github, BACKLOG, 2)) == 1 and len(nudges(github, REPO, 2)) == 1

        github.issues[(BACKLOG, 2)]["state"] = "closed"  # alice's follow-up is done (no hook from there)
        sweep(clock, redis_conn, MONDAY + timedelta(days=9))  # a week after: carol's again, alice's not
        assert len(nudges(github, BACKLOG, 2)) == 1 and len(nudges(github, REPO, 2)) == 2

        say(client, redis_conn, github, "/close --force accepted", login="maria")  # the incident is closed
        post_github(client, "issues", github.issues_event(REPO, 2, "closed", "maria"))
        run_worker(redis_conn)
        sweep(clock, redis_conn, MONDAY + timedelta(days=16))  # nothing once the incident is closed
        assert len(nudges(github, REPO, 2)) == 2


def test_unfinished_postmortem_nudges_the_commander_after_five_working_days_then_weekly(client, redis_conn,
                                                                                       store, github):
    with time_machine.travel(MONDAY, tick=False) as clock:
        say(client, redis_conn, github, "/incident db is down", where=(REPO, 1))
        say(client, redis_conn, github, "/status resolved fixed by rollback")
        sweep(clock, redis_conn, MONDAY + timedelta(days=4))  # Friday: 4 working days
        assert nudges(github, REPO, 2) == []
        sweep(clock, redis_conn, MONDAY + timedelta(days=7))  # the next Monday: 5 working days
        [nudge] = nudges(github, REPO, 2)
        assert "@alice, this incident was resolved 5 working days ago" in nudge
        assert "postmortem is still incomplete" in nudge and "**Root cause analysis**, **Actions**" in nudge
        sweep(clock, redis_conn, MONDAY + timedelta(days=7, hours=3))
        sweep(clock, redis_conn, MONDAY + timedelta(days=8))
        assert len(nudges(github, REPO, 2)) == 1
        sweep(clock, redis_conn, MONDAY + timedelta(days=14))
        assert len(nudges(github, REPO, 2)) == 2



def test_the_postmortem_nudge_stops_once_the_postmortem_is_complete(client, redis_conn, store, github):
    filled = (Path(__file__).parent.parent / "documents" / "filled-timeline-rca-actions.md").read_text()
    with time_machine.travel(MONDAY, tick=False) as clock:
        say(client, redis_conn, github, "/incident db is down", where=(REPO, 1))
        say(client, redis_conn, github, "/status resolved fixed by rollback")
        sweep(clock, redis_conn, MONDAY + timedelta(days=7))  # 5 working days: nudged once
        assert len(nudges(github, REPO, 2)) == 1
        github.issues[(REPO, 2)]["body"] = filled  # the commander writes the postmortem (no hook needed)
        sweep(clock, redis_conn, MONDAY + timedelta(days=14))  # a week on: complete, so no second nudge
        sweep(clock, redis_conn, MONDAY + timedelta(days=21))
        assert len(nudges(github, REPO, 2)) == 1

def said(github, repository: str, number: int, text: str) -> bool:
    return any(text in c for c in github.bot_comments(repository, number))


def test_snooze_pauses_the_owners_items_or_the_follow_ups_and_others_may_not(client, redis_conn, store, github):
    github.permissions["bob"] = "read"
    with time_machine.travel(MONDAY, tick=False) as clock:
        say(client, redis_conn, github, "/incident db is down", where=(REPO, 1))
        say(client, redis_conn, github, ACTIONS)
        sweep(clock, redis_conn, MONDAY + timedelta(days=2))  # Wednesday: one nudge each
        say(client, redis_conn, github, "/snooze 1w", login="carol")  # her own item, on the incident
        assert said(github, REPO, 2, "nudges paused until 2026-12-09 10:00 UTC (1 action item(s) of")
        say(client, redis_conn, github, "/snooze 3d", login="bob", where=(BACKLOG, 2))  # owns nothing
        assert said(github, BACKLOG, 2, "only an action item's owner")
        say(client, redis_conn, github, "/snooze 2w", login="alice", where=(BACKLOG, 2))  # the commander
        assert said(github, BACKLOG, 2, "nudges paused until 2026-12-16")

        sweep(clock, redis_conn, MONDAY + timedelta(days=9, hours=-1))  # a week later, both snoozed
        assert len(nudges(github, BACKLOG, 2)) == 1 and len(nudges(github, REPO, 2)) == 1
        sweep(clock, redis_conn, MONDAY + timedelta(days=16, hours=-1))  # carol's snooze is over, alice's not
        assert len(nudges(github, BACKLOG, 2)) == 1 and len(nudges(github, REPO, 2)) == 2


def test_the_hourly_sweep_prunes_the_command_ledger_of_comments_months_old(client, redis_conn, store, github):
    """The ledger grew with every command forever (since issue 13's note); the sweep keeps LEDGER_DAYS of it."""
    from store.ledger import LEDGER_DAYS, CommentRef

    with time_machine.travel(MONDAY, tick=False) as clock:
        say(client, redis_conn, github, "/incident db is down", where=(REPO, 1))
        status = github.comment_event(REPO, 2, "alice", "/status identified the cache is cold")
        post_github(client, "issue_comment", status)
        run_worker(redis_conn)
        old = CommentRef("github", REPO, 2, 4242, MONDAY - timedelta(days=LEDGER_DAYS + 1))
        store.record_step(old, 1, "timeline", True)
        assert store.command_runs(old)
        kept = CommentRef("github", REPO, 2, status["comment"]["id"])
        recent = store.command_runs(kept)
        sweep(clock, redis_conn, MONDAY + timedelta(hours=1))
        assert store.command_runs(old) == {}  # months old: gone
        assert store.command_runs(kept) == recent != {}  # this week's: kept, so a redelivery still runs nothing
