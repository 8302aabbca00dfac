"""Issue 18, item 2: reminders that cannot stop silently — re-armed at worker start and by any delivery that
finds none, resumed when a resolved incident flares up again, worded right, counted on /metrics."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker
from worker.deferred import reminder_job_id
from worker.queue import deliveries_queue
from worker.reminders import rearm_reminders

REPO = "Codertocat/Hello-World"
START = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
JOB = reminder_job_id("github", REPO, 2)


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file", "It looks broken.")
    return fake


def scheduled(redis_conn) -> list[str]:
    return ScheduledJobRegistry(queue=deliveries_queue(redis_conn)).get_job_ids()


def reminders(github) -> list[str]:
    return [c for c in github.bot_comments(REPO, 2) if "since the last update" in c]


def declare(client, redis_conn, github) -> None:
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/incident db is down"))
    run_worker(redis_conn)


def say(client, redis_conn, github, text: str) -> None:
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", text))
    run_worker(redis_conn)


def test_redis_flushed_and_worker_restarted_the_reminder_is_back(client, redis_conn, store, github):
    with time_machine.travel(START, tick=False) as clock:
        declare(client, redis_conn, github)
        assert scheduled(redis_conn) == [JOB]
        redis_conn.flushdb()  # Redis lost its data
        assert scheduled(redis_conn) == []
        assert rearm_reminders(redis_conn, store) == 1  # what the `worker` command does before working
        assert rearm_reminders(redis_conn, store) == 0  # one reminder per incident, never two
        run_worker(redis_conn)  # due at once: not due yet, so it waits for the interval
        assert scheduled(redis_conn) == [JOB] and reminders(github) == []
        clock.move_to(START + timedelta(minutes=61))
        run_worker(redis_conn)
    assert len(reminders(github)) == 1 and "61 minutes" in reminders(github)[0]
    assert scheduled(redis_conn) == [JOB]


def test_a_delivery_that_finds_no_reminder_schedules_it(client, redis_conn, store, github):
    with time_machine.travel(START, tick=False) as clock:
        declare(client, redis_conn, github)
        redis_conn.flushdb()
        clock.move_to(START + timedelta(minutes=10))
        say(client, redis_conn, github, "/timeline 14:05 found the bad deploy")
        assert scheduled(redis_conn) == [JOB]
        clock.move_to(START + timedelta(minutes=71))  # an hour after that update
        run_worker(redis_conn)
    assert len(reminders(github)) == 1


def test_resolved_then_investigating_gets_its_reminders_back(client, redis_conn, store, github):
    with time_machine.travel(START, tick=False) as clock:
        declare(client, redis_conn, github)
        say(client, redis_conn, github, "/status resolved fixed by rollback")
        clock.move_to(START + timedelta(minutes=61))
        run_worker(redis_conn)  # the reminder stops at resolved
        assert scheduled(redis_conn) == [] and reminders(github) == []
        say(client, redis_conn, github, "/status investigating it is back")
        assert scheduled(redis_conn) == [JOB]
        clock.move_to(START + timedelta(minutes=122))
        run_worker(redis_conn)
    [reminder] = reminders(github)
    assert "61 minutes" in reminder and "**investigating**" in reminder


def test_metrics_count_incidents_with_a_reminder_due(client, redis_conn, store, github):
    with time_machine.travel(START, tick=False):
        declare(client, redis_conn, github)
        text = client.get("/metrics").get_data(as_text=True)
    assert "incident_desk_reminders_due 1.0" in text


def test_the_worker_command_re_arms_reminders_before_working(client, redis_conn, store, github, settings):
    from click.testing import CliRunner

    from incident_desk.cli.run import worker

    with time_machine.travel(START, tick=False):
        declare(client, redis_conn, github)
    redis_conn.flushdb()  # Redis lost its data; then the worker restarts
    result = CliRunner().invoke(worker, ["--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert JOB in scheduled(redis_conn)  # the reminder ran (not due or reminded) and waits for the next one
    assert "nudges-sweep" in scheduled(redis_conn)
    assert FailedJobRegistry(queue=deliveries_queue(redis_conn)).get_job_ids() == []
