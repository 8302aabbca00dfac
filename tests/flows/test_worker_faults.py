"""Faults the worker must survive without losing a delivery or running it twice: a locked or
unreachable database, a worker killed mid-job, a job longer than its lock (issue 13 items 4, 5, 6)."""
from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import text

from incidents.summary import SUMMARY_MARKER
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker
from worker.queue import DELIVERIES, deliveries_queue

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


@contextlib.contextmanager
def database_locked(store):
    """Another client holding the database's lock: the whole file for SQLite, the incidents table for PostgreSQL."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        with store.engine.connect() as holder:
            holder.execute(text("LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE"))
            yield
            holder.rollback()


@pytest.fixture
def short_database_waits(monkeypatch):
    """A busy timeout of half a second and retries a second apart, so the lock outlasts a few tries."""
    from worker.bootstrap import store_for

    monkeypatch.setenv("INCIDENT_DESK_DB_BUSY_TIMEOUT", "0.5")
    monkeypatch.setenv("INCIDENT_DESK_RETRY_BASE_SECONDS", "1")
    store_for.cache_clear()
    yield
    store_for.cache_clear()


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


class _ForgeServer:
    """The fake GitHub's routes served over real HTTP on 127.0.0.1, for a worker in another process.

    The first summary comment hangs (as a forge call can) until the test has killed the worker."""

    def __init__(self, fake_api):
        import http.server
        import threading
        import types

        from tests.support import GITHUB_REST

        self.hanging, self.release = threading.Event(), threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                request = types.SimpleNamespace(url=GITHUB_REST + self.path, body=body, method=self.command)
                if self.command == "POST" and self.path.endswith("/comments") and not server.hanging.is_set():
                    server.hanging.set()
                    server.release.wait(120)
                    return  # the worker is gone: no answer
                for route in fake_api.registered():
                    if route.method == self.command and route.url.match(request.url):
                        status, _headers, text = route.callback(request)  # the fake's headers are not replayed
                        break
                else:
                    status, text = 404, '{"message": "Not Found"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()


def _start_worker(env):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "incident_desk.cli", "worker", "--maintenance-interval", "1",
                             "--heartbeat", "1"], env=env, start_new_session=True)


def test_a_worker_killed_mid_declaration_declares_the_incident_once_on_the_next_worker(
        client, redis_conn, store, github, settings, fake_api):
    """issue 13 item 4: kill -9 of the worker and its work horse mid-job; the next worker runs the job
    again (RQ's abandoned-job cleanup with the job's Retry) and the incident is declared once."""
    import os
    import signal

    forge = _ForgeServer(fake_api)
    env = dict(os.environ, GITHUB_API_URL=forge.url)
    first = _start_worker(env)
    second = None
    try:
        post_github(client, "issues", github.issues_event(REPO, 1, "opened", "alice"))
        assert forge.hanging.wait(60), "the worker never reached the summary comment"
        os.killpg(first.pid, signal.SIGKILL)  # the worker, its work horse and its scheduler
        first.wait(10)
        second = _start_worker(env)
        deadline = time.monotonic() + 150  # a bound: the dead job is found 60 s after its last heartbeat
        while time.monotonic() < deadline and not summaries(github):
            time.sleep(0.5)
        time.sleep(2)  # nothing more should come
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        forge.close()

    assert len(summaries(github)) == 1
    assert [i.number for i in store.incidents(REPO)] == [1]
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
