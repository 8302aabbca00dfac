"""Real faults for the tests of tests/flows/*_faults.py: a database locked past its busy timeout, and a worker
killed with -9 in another process while a call to a faked API hangs.

`FakeServer` serves the stateful fakes over real HTTP on 127.0.0.1 (the worker runs in another process, where
`responses` cannot reach): GitHub's routes as `responses` holds them for tests/fakes/github.py, and Slack's Web
API and response_url on tests/fakes/slack.py. One call can be made to hang until the test has killed the worker,
either before the fake sees it (the call never arrived) or after (the API did it, the answer never came back).
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text

from tests.support import GITHUB_API, GITHUB_REST
from worker.queue import DELIVERIES

SLACK_PATH, RESPONSE_PATH = "/slack/api/", "/slack/response/"


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


def retries_waiting(conn) -> list[str]:
    """Retries scheduled for later (`retry_later`'s ids end in -retryN; reminders and sweeps are not retries)."""
    from rq.registry import ScheduledJobRegistry

    return [i for i in ScheduledJobRegistry(DELIVERIES, connection=conn).get_job_ids() if "-retry" in i]


def run_one_job(conn) -> None:
    """The next queued job alone, in this process (the jobs it queues wait)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    SimpleWorker([DELIVERIES], connection=conn, serializer=JSONSerializer).work(burst=True, max_jobs=1,
                                                                               logging_level="WARNING")


def drain(conn, within: float = 60.0) -> None:
    """Run the worker until no job waits, retries included (`within` is a bound, not a timing)."""
    from tests.support import run_worker
    from worker.queue import deliveries_queue

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        run_worker(conn)
        if not retries_waiting(conn) and not deliveries_queue(conn).count:
            return
        time.sleep(0.2)
    raise AssertionError("jobs still waiting")


def _params(content_type: str, body: bytes) -> dict:
    if "json" in content_type:
        return json.loads(body or b"{}")
    return {key: values[-1] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()}


class FakeServer:
    """The fakes over HTTP. `hang_on(method, path_end, after=...)` makes the first matching call hang: GitHub
    calls by HTTP method and path ending, Slack calls by Web API method (`"POST", "conversations.create"`)."""

    def __init__(self, fake_api, slack=None):
        self.fake_api, self.slack = fake_api, slack
        self.hanging, self.release = threading.Event(), threading.Event()
        self._hang: tuple[str, str, bool] | None = None
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.slack_api_url = self.url + SLACK_PATH
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def hang_on(self, method: str, path_end: str, *, after: bool) -> None:
        """The first `method` call whose path ends with `path_end` hangs; `after`: once the fake has done it."""
        self._hang = (method, path_end, after)

    def response_url(self, name: str = "1") -> str:
        """A slash command's response_url that lands in the Slack fake's `responses_posted`."""
        return self.url + RESPONSE_PATH + name

    def _hangs(self, method: str, path: str) -> str | None:
        """"before" or "after" when this call is the one to hang."""
        with self._lock:
            if self._hang is None or self.hanging.is_set():
                return None
            wanted, end, after = self._hang
            if method != wanted or not path.split("?")[0].endswith(end):
                return None
            self.hanging.set()
            return "after" if after else "before"

    def answer(self, method: str, path: str, content_type: str, body: bytes) -> tuple[int, str] | None:
        """(status, JSON text) for one request, or None when it hangs (the worker is killed meanwhile)."""
        hangs = self._hangs(method, path)
        if hangs == "before":
            self.release.wait(120)
            return None
        with self._lock:
            result = self._dispatch(method, path, content_type, body)
        if hangs:
            self.release.wait(120)
            return None
        return result

    def _dispatch(self, method: str, path: str, content_type: str, body: bytes) -> tuple[int, str]:
        if path.startswith(RESPONSE_PATH):
            self.slack.responses_posted.append((self.url + path, json.loads(body or b"{}")))
            return 200, "ok"
        if path.startswith(SLACK_PATH):
            status, _headers, answer = self.slack.handle(path[len(SLACK_PATH):], _params(content_type, body))
            return status, json.dumps(answer)
        request = types.SimpleNamespace(url=GITHUB_REST + path, body=body or None, method=method)
        for route in self.fake_api.registered():
            if route.method == method and route.url.match(request.url):
                status, _headers, answer = route.callback(request)  # the fake's headers are not replayed
                return status, answer.replace(GITHUB_API, self.url)  # links to follow lead here, not to GitHub
        return 404, '{"message": "Not Found"}'

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                result = server.answer(self.command, self.path, self.headers.get("Content-Type") or "", body)
                if result is None:
                    return  # the worker is gone: no answer
                data = result[1].encode()
                self.send_response(result[0])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        return Handler

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()


def start_worker(env: dict) -> subprocess.Popen:
    """`incident-desk worker` in its own process group (its work horse and scheduler are in it too)."""
    return subprocess.Popen([sys.executable, "-m", "incident_desk.cli", "worker", "--maintenance-interval", "1",
                             "--heartbeat", "1"], env=env, start_new_session=True)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the work horse calls setpgrp, so killing the worker's group misses it)."""
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in map(int, children.read().split()):
                    found += [child, *descendants(child)]
    return found


def kill_worker(process: subprocess.Popen) -> None:
    """kill -9 of the worker, its scheduler and its work horse, as when the machine under them goes."""
    below = descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)


def lapse_heartbeats(conn) -> None:
    """What the 60 s after a dead job's last heartbeat change: its started-registry entry is past due, so the
    next worker's first maintenance finds it abandoned (the wait itself is left out)."""
    from rq.registry import StartedJobRegistry

    key = StartedJobRegistry(DELIVERIES, connection=conn).key
    for member in conn.zrange(key, 0, -1):
        conn.zadd(key, {member: time.time() - 1})


def kill_mid_job_then_rerun(server: FakeServer, env: dict, conn, start: Callable[[], None],
                            done: Callable[[], bool], within: float = 60, lapse: bool = True) -> None:
    """Start a worker, `start` the work, kill -9 the worker and its work horse while the hanging call waits,
    then run the next worker until `done()` (and two seconds more, for anything that should not come). Every
    process started here is killed before returning. `lapse=False` waits the 60 s for real."""
    first, second = start_worker(env), None
    try:
        start()
        assert server.hanging.wait(60), "the worker never reached the hanging call"
        kill_worker(first)
        if lapse:
            lapse_heartbeats(conn)
        second = start_worker(env)
        deadline = time.monotonic() + within  # a bound, not a timing
        while time.monotonic() < deadline and not done():
            time.sleep(0.5)
        time.sleep(2)
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                kill_worker(process)
        server.close()
