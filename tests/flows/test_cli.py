"""The command line: replay against a live server, serve on one machine, one-line usage errors."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
import requests
from werkzeug.serving import make_server

from tests.support import FIXTURES, GITHUB_SECRET
from worker.embedded_redis import free_port
from worker.queue import deliveries_queue

ROOT = Path(__file__).parent.parent.parent


def incident_desk(*args, env=None, cwd=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "incident_desk.cli", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), cwd=cwd or ROOT, timeout=timeout)


@pytest.fixture
def live_server(app):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_replay_signs_and_sends_a_payload(live_server, redis_conn):
    result = incident_desk("replay", str(FIXTURES / "github/issues__opened.json"), "--event", "issues",
                           "--url", f"{live_server}/webhooks/github", "--delivery-id", "replayed-1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("202") and '"queued"' in result.stdout
    [job] = deliveries_queue(redis_conn).get_jobs()
    assert job.args[1] == "replayed-1"


def test_replay_gitlab(live_server, redis_conn):
    result = incident_desk("replay", str(FIXTURES / "gitlab/note__issue.json"), "--event", "Note Hook",
                           "--platform", "gitlab", "--url", f"{live_server}/webhooks/gitlab")
    assert result.returncode == 0, result.stderr
    assert len(deliveries_queue(redis_conn).get_jobs()) == 1


@pytest.mark.parametrize("platform, variable", [("github", "GITHUB_WEBHOOK_SECRET"),
                                                ("gitlab", "GITLAB_WEBHOOK_SECRET")])
def test_replay_without_the_platforms_secret_is_a_usage_error(platform, variable):
    env = {k: v for k, v in os.environ.items() if k != variable}
    result = incident_desk("replay", str(FIXTURES / "github/ping.json"), "--event", "ping", "--platform", platform,
                           "--url", "http://127.0.0.1:9/never", env=env)
    assert result.returncode == 2 and variable in result.stderr and "is not set" in result.stderr


def test_replay_with_the_wrong_secret_is_refused_by_the_server(live_server, settings):
    env = dict(os.environ, GITHUB_WEBHOOK_SECRET="wrong")
    result = incident_desk("replay", str(FIXTURES / "github/ping.json"), "--event", "ping",
                           "--url", f"{live_server}/webhooks/github", env=env)
    assert result.returncode == 1 and result.stdout.startswith("401")


@pytest.mark.parametrize("args, message", [
    (["replay", "/no/such/file.json", "--event", "issues"], "does not exist"),
    (["replay", "pyproject.toml", "--event", "issues"], "is not JSON"),
    (["replay", "tests/fixtures/github/ping.json"], "Missing option '--event'"),
    (["replay", "tests/fixtures/github/ping.json", "--event", "x", "--platform", "bitbucket"], "bitbucket"),
    (["web", "--port", "0"], "0"),
    (["frobnicate"], "No such command"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, message, settings):
    result = incident_desk(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("incident-desk: error:")


def test_replay_without_a_secret_is_a_usage_error(settings):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_WEBHOOK_SECRET"}
    result = incident_desk("replay", "tests/fixtures/github/ping.json", "--event", "ping", env=env)
    assert result.returncode == 2 and "GITHUB_WEBHOOK_SECRET" in result.stderr


def test_serve_runs_everything_on_one_machine_and_stops_cleanly(tmp_path):
    """`incident-desk serve` with no REDIS_URL/DATABASE_URL: embedded Redis, SQLite, web, worker."""
    port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PUBLIC_URL")}
    env.update(GITHUB_WEBHOOK_SECRET=GITHUB_SECRET, INCIDENT_DESK_REDIS_PORT=str(redis_port))
    process = subprocess.Popen([sys.executable, "-m", "incident_desk.cli", "serve", "--port", str(port),
                                "--web-workers", "1"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first answer is slow
                time.sleep(0.2)
        assert health is not None and health.status_code == 200
        assert health.json() == {"status": "ok", "redis": "ok", "database": "ok"}
        assert (tmp_path / "incident-desk.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert f"GitHub webhook URL: http://localhost:{port}/webhooks/github" in output
    assert process.returncode == 0
    with pytest.raises(redis.ConnectionError):  # the embedded Redis stopped with the app
        redis.Redis(port=redis_port, socket_connect_timeout=1).ping()


def test_masked_urls_keep_everything_but_the_password():
    """Issue 13 item 15."""
    from incident_desk.cli.run import masked

    assert masked("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert masked("postgresql://app:p%40ss@db.internal/incidents") == "postgresql://app:***@db.internal/incidents"
    assert masked("sqlite:////var/lib/incident-desk.db") == "sqlite:////var/lib/incident-desk.db"
    assert "s3cret" not in masked("rediss://default:s3cret@host:6380/1?ssl_cert_reqs=none")


def test_serve_prints_no_password(tmp_path):
    """Issue 13 item 15: `serve` printed REDIS_URL and DATABASE_URL with their passwords."""
    from worker.embedded_redis import redis_server_binary

    redis_port, port = free_port(), free_port()
    server = subprocess.Popen([redis_server_binary(), "--port", str(redis_port), "--bind", "127.0.0.1",
                               "--requirepass", "s3cret-redis", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL",)}
    env.update(GITHUB_WEBHOOK_SECRET=GITHUB_SECRET, REDIS_URL=f"redis://:s3cret-redis@127.0.0.1:{redis_port}/0",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}")
    process = subprocess.Popen([sys.executable, "-m", "incident_desk.cli", "serve", "--port", str(port),
                                "--web-workers", "1"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        server.terminate()
        server.wait(timeout=10)
    assert f"Redis redis://:***@127.0.0.1:{redis_port}/0" in output
    assert "s3cret-redis" not in output

