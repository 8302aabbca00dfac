"""Faults for nudges (issue 18) tried for real: the worker killed with -9 after GitHub took a nudge's comment but
before the nudge was recorded, and the database locked past its busy timeout during the nudge job. The overdue
action item is nudged once."""
from __future__ import annotations

import os

import pytest
from rq.registry import FailedJobRegistry

from tests.fakes.github import FakeGitHub
from tests.fault_support import (
    FakeServer,
    database_locked,
    drain,
    kill_mid_job_then_rerun,
    retries_waiting,
    short_database_waits,
)
from tests.support import post_github, run_worker
from worker.queue import DELIVERIES, deliveries_queue

__all__ = ["short_database_waits"]  # a fixture, used by name

REPO = "Codertocat/Hello-World"
EVERY_DAY = "nudges:\n  working_days: [mon, tue, wed, thu, fri, sat, sun]\n"  # the real clock may say Sunday
OVERDUE = "Adding the action.\n/action add write the runbook @carol due 2026-01-05\n"


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "carol": "write"},
                      files={(REPO, ".github/incident-desk.yml"): EVERY_DAY})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


@pytest.fixture
def overdue(client, redis_conn, github):
    """Incident #2 with an action item long past due, declared and filled in by a worker in this process."""
    for number, text in ((1, "/incident db is down"), (2, OVERDUE)):
        post_github(client, "issue_comment", github.comment_event(REPO, number, "alice", text))
        run_worker(redis_conn)
    assert "write the runbook" in github.issues[(REPO, 2)]["body"]


def queue_nudge(redis_conn) -> None:
    """The job the hourly sweep queues for the incident."""
    deliveries_queue(redis_conn).enqueue("worker.nudges.nudge_incident", "github", REPO, 2, None)


def nudges(github) -> list[str]:
    return [c for c in github.bot_comments(REPO, 2) if "is not done yet" in c]


def test_a_worker_killed_between_the_nudge_and_its_record_nudges_once(client, redis_conn, store, github, overdue,
                                                                      fake_api):
    server = FakeServer(fake_api)
    server.hang_on("POST", "/issues/2/comments", after=True)  # GitHub has the comment; its answer is lost
    env = dict(os.environ, GITHUB_API_URL=server.url)
    kill_mid_job_then_rerun(server, env, redis_conn, lambda: queue_nudge(redis_conn),
                            lambda: bool(store.nudge_states(store.get_incident("github", REPO, 2))))
    [nudge] = nudges(github)
    assert "@carol" in nudge and "write the runbook" in nudge
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


def test_a_nudge_due_while_the_database_is_locked_is_sent_once_after(client, redis_conn, store, github, overdue,
                                                                     short_database_waits):
    queue_nudge(redis_conn)
    with database_locked(store):
        run_worker(redis_conn)
        assert nudges(github) == []
        assert retries_waiting(redis_conn), "no retry scheduled"
    drain(redis_conn)
    [nudge] = nudges(github)
    assert "@carol" in nudge
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
