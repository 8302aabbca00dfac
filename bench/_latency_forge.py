"""The world bench/latency.py measures in: the stateful fake GitHub (tests/fakes/github.py) served over
HTTP on 127.0.0.1 with a fixed latency per call and a log of every call, an embedded Redis, a temporary
SQLite database, the real Flask receiver in-process and `incident-desk worker` as a subprocess.

Nothing here changes the product: the worker is the real command, pointed at the fake by GITHUB_API_URL.
"""
from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path

import responses

from tests.fakes.github import FakeGitHub
from tests.support import BOT_LOGIN, GITHUB_API, GITHUB_REST

SECRET = "bench-secret"


@dataclass(frozen=True)
class Call:
    """One API call as the fake saw it: `done` is when its effect took place (perf_counter seconds)."""

    method: str
    path: str
    status: int
    done: float
    body: object

    @property
    def write(self) -> bool:
        return self.method != "GET"

    def __str__(self) -> str:
        return f"{self.method} {self.path.split('?')[0]} -> {self.status}"


class ForgeServer:
    """FakeGitHub's routes over real HTTP/1.1 (keep-alive), each call answered after `latency` seconds.

    URLs in its answers name this server instead of api.github.com. GET /user (the token's own user,
    which the bot asks to know itself) answers the bot's login; every other route is the fake's own.
    `calls` lists every call in order."""

    def __init__(self, latency: float, permissions: dict):
        self.api = responses.RequestsMock(assert_all_requests_are_fired=False)  # a registry only, never started
        self.github = FakeGitHub(self.api, permissions=permissions)
        self.latency, self.calls = latency, []
        self.lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, method: str, path: str, body: bytes | None) -> tuple[int, str]:
        """Wait the latency, then apply the call to the fake and log it."""
        time.sleep(self.latency)
        with self.lock:
            status, text = self._route(method, path, body)
            payload = json.loads(body) if body else None
            self.calls.append(Call(method, path, status, time.perf_counter(), payload))
        return status, text

    def _route(self, method: str, path: str, body: bytes | None) -> tuple[int, str]:
        if method == "GET" and path.split("?")[0] == "/user":
            return 200, json.dumps({"login": BOT_LOGIN, "id": 1, "type": "User"})
        request = types.SimpleNamespace(url=GITHUB_REST + path, body=body, method=method)
        for route in self.api.registered():
            if route.method == method and route.url.match(request.url):
                status, _headers, text = route.callback(request)
                # The fake's objects carry api.github.com URLs (PyGithub follows them, e.g. to edit a
                # comment it listed); here they name this server.
                return status, text.replace(GITHUB_API, self.url)
        return 404, '{"message": "Not Found"}'

    def _handler_class(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as PyGithub's session uses with GitHub

            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                status, text = server.answer(self.command, self.path, body)
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        return Handler

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WorkerProcess:
    """`incident-desk worker` in its own session, stopped with SIGTERM (then SIGKILL) of its group."""

    def __init__(self, env: dict, log_path: Path, root: Path):
        self.env, self.log_path, self.root = env, log_path, root
        self.process: subprocess.Popen | None = None

    def start(self, conn, timeout: float = 60.0) -> WorkerProcess:
        from rq import Worker

        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "incident_desk.cli", "worker"], cwd=self.root,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if Worker.all(connection=conn):
                return self
            time.sleep(0.1)
        raise RuntimeError("the worker did not start:\n" + self.log_path.read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        if getattr(self, "log", None):
            self.log.close()


def worker_env(redis_url: str, database_url: str, forge_url: str, write_interval: float | None) -> dict:
    """The worker's environment: a token (no App), the fake's URL, and no bot login configured, as a
    plain deployment has (so the bot asks GET /user once per process). The write interval is the
    product's default unless given."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "GITLAB_", "INCIDENT_DESK_", "PUBLIC_URL", "SMTP_URL"))}
    env.update(REDIS_URL=redis_url, DATABASE_URL=database_url, GITHUB_TOKEN="ghp_bench",
               GITHUB_API_URL=forge_url, GITHUB_WEBHOOK_SECRET=SECRET, PYTHONUNBUFFERED="1")
    if write_interval is not None:
        env["INCIDENT_DESK_GITHUB_WRITE_INTERVAL"] = str(write_interval)
    return env
