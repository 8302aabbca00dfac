"""Faults the worker must survive without losing a delivery or running it twice: a locked or
unreachable database, a worker killed mid-job, a job longer than its lock (issue 13 items 4, 5, 6)."""
from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.fault_support import FakeServer, database_locked, kill_mid_job_then_rerun, short_database_waits
from tests.support import post_github, run_worker
from worker.queue import DELIVERIES, deliveries_queue

__all__ = ["short_database_waits"]  # a fixture, used by name

REPO = "Codertocat/Hello-World"


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "API errors", "The API answers 500.", labels=["incident"], author="alice")
    return fake


def summaries(github, number=1):
    return [c for c in github.bot_comments(REPO, number) if c.startswith(SUMMARY_MARKER)]


def retries_waiting(redis_conn) -> list[str]:
    """Delivery retries scheduled for later (the incident's reminder, due in hours, is not one)."""
    scheduled = ScheduledJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
    return [job_id for job_id in scheduled if not job_id.startswith("reminder-")]


def drain(redis_conn, within: float = 60.0) -> None:
    """Run the worker until no delivery waits, retries included (`within` is a bound, not a timing)."""
    queue = deliveries_queue(redis_conn)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        run_worker(redis_conn)
        if not retries_waiting(redis_conn) and not queue.count:
            return
        time.sleep(0.2)
    raise AssertionError("jobs still waiting")


def test_a_database_locked_past_its_busy_timeout_declares_the_incident_once_after(
        client, redis_conn, store, github, settings, short_database_waits):
    """issue 13 item 5: a lock or connection error of the database is transient, retried with backoff."""
    with database_locked(store):
        assert post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice")).status_code == 202
        run_worker(redis_conn)  # the first try meets the lock and gives up after the busy timeout
        assert retries_waiting(redis_conn), "no retry scheduled"
    drain(redis_conn)

    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
    assert [i.number for i in store.incidents(REPO)] == [1]
    assert len(summaries(github)) == 1
    assert "status: investigating" in github.issues[(REPO, 1)]["labels"]



def test_the_retry_log_of_a_locked_database_holds_no_sql_nor_what_people_wrote(
        client, redis_conn, store, github, settings, short_database_waits, caplog):
    """The product's log goes to the operator's log store: a database error is said by its kind and the driver's
    line, not with the statement and the issue text bound into it."""
    github.issues[(REPO, 1)]["title"] = "Payroll records exposed"
    with database_locked(store), caplog.at_level(logging.INFO, logger="incident_desk.worker"):
        post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice"))
        run_worker(redis_conn)
    [retry] = [json.loads(r.getMessage()) for r in caplog.records if '"outcome":"retry"' in r.getMessage()]
    assert retry["reason"].startswith("OperationalError: ") and "[SQL" not in retry["reason"]
    assert "Payroll" not in retry["reason"]
    drain(redis_conn)

def test_a_reminder_due_while_the_database_is_locked_is_sent_once_after(
        client, redis_conn, store, github, settings, short_database_waits):
    """issue 13 item 5: reminders retry a locked database too, instead of ending the incident's reminders."""
    start = datetime.now(UTC) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as clock:
        post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice"))
        run_worker(redis_conn)
        comments = len(github.bot_comments(REPO, 1))
        clock.move_to(start + timedelta(minutes=61))  # the reminder is due
        with database_locked(store):
            run_worker(redis_conn)
        assert len(github.bot_comments(REPO, 1)) == comments
        clock.move_to(start + timedelta(minutes=62))  # past the retry's backoff
        run_worker(redis_conn)

    assert len(github.bot_comments(REPO, 1)) == comments + 1
    assert "since the last update" in github.bot_comments(REPO, 1)[-1]
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


def test_an_unreachable_database_is_a_transient_error():
    """issue 13 item 5: a refused connection (nothing listens on port 1) is retried, like a forge's 502."""
    from store import Store, is_transient

    for url in ("postgresql+psycopg://postgres@127.0.0.1:1/none",):
        with pytest.raises(Exception) as caught:
            Store(url).ping()
        assert is_transient(caught.value), url
    assert not is_transient(ValueError("a bug"))


class _SlowCommentGitHub(FakeGitHub):
    """Writing a comment takes `seconds`; meanwhile it records whether the incident lock is held."""

    seconds, lock_held = 3.0, None

    def _add_comment(self, body, repo, n):
        time.sleep(self.seconds)
        self.lock_held.append(not self.redis_conn.lock(f"incident-desk:lock:github:{repo}:{n}", timeout=5)
                              .acquire(blocking=False))
        return super()._add_comment(body, repo, n)


def test_a_job_longer_than_the_lock_s_lease_keeps_the_incident_lock_to_the_end(
        client, redis_conn, store, fake_api, settings, monkeypatch):
    """issue 13 item 6: the incident lock is renewed while the job runs, so no second job runs the
    same incident meanwhile; and the job's timeout fits a long comment."""
    import worker.jobs
    from incident_desk.settings import Settings
    from worker.queue import JOB_TIMEOUT_SECONDS

    monkeypatch.setattr(worker.jobs, "LOCK_SECONDS", 1)  # the summary comment takes three leases to write
    github = _SlowCommentGitHub(fake_api, permissions={"alice": "write"})
    github.redis_conn, github.lock_held = redis_conn, []
    github.add_issue(REPO, 1, "API errors", "The API answers 500.", labels=["incident"], author="alice")
    post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice"))
    [job] = deliveries_queue(redis_conn).jobs
    run_worker(redis_conn)

    assert github.lock_held == [True]
    assert len(summaries(github)) == 1
    # 200 commands of a comment, each up to two writes paced by the default write budget
    assert job.timeout == JOB_TIMEOUT_SECONDS >= 200 * 2 * Settings().github_write_interval


def test_a_worker_killed_mid_declaration_declares_the_incident_once_on_the_next_worker(
        client, redis_conn, store, github, settings, fake_api):
    """issue 13 item 4: kill -9 of the worker and its work horse mid-job; the next worker runs the job
    again (RQ's abandoned-job cleanup with the job's Retry) and the incident is declared once."""
    import os

    forge = FakeServer(fake_api)
    forge.hang_on("POST", "/comments", after=False)  # the first summary comment hangs, never reaching the fake
    env = dict(os.environ, GITHUB_API_URL=forge.url)
    kill_mid_job_then_rerun(forge, env, redis_conn, lambda: post_github(
        client, "issues", github.issues_event(REPO, 1, "opened", "alice")), lambda: bool(summaries(github)))

    assert len(summaries(github)) == 1
    assert [i.number for i in store.incidents(REPO)] == [1]
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


def test_a_worker_started_at_once_after_a_kill_runs_the_dead_job_within_a_minute_of_its_heartbeat(
        client, redis_conn, store, github, settings, fake_api):
    """The next worker, idle in its wait for jobs, still looks for dead ones every maintenance interval: the
    job runs again once its heartbeat lapses (60 s), not when RQ's 405 s wait for a job happens to end."""
    import os

    forge = FakeServer(fake_api)
    forge.hang_on("POST", "/comments", after=False)
    env = dict(os.environ, GITHUB_API_URL=forge.url)
    started = time.monotonic()
    kill_mid_job_then_rerun(forge, env, redis_conn, lambda: post_github(
        client, "issues", github.issues_event(REPO, 1, "opened", "alice")), lambda: bool(summaries(github)),
        within=150, lapse=False)

    assert len(summaries(github)) == 1
    assert time.monotonic() - started < 120
