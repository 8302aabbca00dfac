"""Shared fixtures: a real Redis and database, signed webhook posts, a burst worker, faked forge APIs.

Redis is `REDIS_URL` when set, else an embedded redis-server started for the session.
The database is `DATABASE_URL` when set, else a SQLite file. Only forge HTTP APIs are faked.
"""
from __future__ import annotations

import base64
import copy
import json
import os
import uuid
from pathlib import Path

import pytest
import responses
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import text

from incident_desk.settings import Settings
from webhook_app.signatures import github_signature

FIXTURES = Path(__file__).parent / "fixtures"
GITHUB_API = "https://api.github.com"
# PyGithub spells out the port on every request it sends; mocks match what is sent.
GITHUB_REST = "https://api.github.com:443"
GITLAB_URL = "https://gitlab.example.com"
GITHUB_SECRET = "github-test-secret"
GITLAB_SECRET = "gitlab-test-secret"
BOT_LOGIN = "incident-desk-bot"
GITLAB_EVENTS = {"issue": "Issue Hook", "note": "Note Hook", "merge_request": "Merge Request Hook"}


def load_fixture(platform: str, name: str) -> dict:
    """A real payload from tests/fixtures/<platform>/<name>.json, as a fresh dict to modify."""
    return copy.deepcopy(json.loads((FIXTURES / platform / f"{name}.json").read_text()))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from worker.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    from store import migrate

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate(url)
    return url


@pytest.fixture
def redis_conn(redis_url):
    from worker.queue import connection

    conn = connection(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def store(database_url):
    from store import Store
    from store.models import Base

    s = Store(database_url)
    with s.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    yield s
    s.engine.dispose()


@pytest.fixture
def settings(monkeypatch, redis_url, database_url, redis_conn):
    """Settings for a test; also put in the environment, where worker jobs read them."""
    env = {
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET, "GITHUB_TOKEN": "ghp_test", "GITHUB_API_URL": GITHUB_API,
        "GITLAB_URL": GITLAB_URL, "GITLAB_TOKEN": "glpat-test", "GITLAB_WEBHOOK_SECRET": GITLAB_SECRET,
        "REDIS_URL": redis_url, "DATABASE_URL": database_url, "INCIDENT_DESK_BOT_LOGIN": BOT_LOGIN,
        "INCIDENT_DESK_RETRY_BASE_SECONDS": "0", "INCIDENT_DESK_GITHUB_WRITE_INTERVAL": "0", "INCIDENT_DESK_MAX_ATTEMPTS": "4",
    }
    for key in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "PUBLIC_URL", "SMTP_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


@pytest.fixture
def app(settings, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": settings, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api():
    """Faked forge HTTP APIs; a test fails on a call it did not expect or an expected call not made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def post_github(client, event: str, payload: dict | bytes, delivery_id: str | None = None,
                secret: str = GITHUB_SECRET, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
                   "X-Hub-Signature-256": github_signature(secret, body), "Content-Type": "application/json"}
    all_headers.update(headers)
    return client.post("/webhooks/github", data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def post_gitlab(client, event: str, payload: dict | bytes, delivery_id: str | None = None,
                token: str | None = GITLAB_SECRET, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": delivery_id or str(uuid.uuid4()),
                   "X-Gitlab-Token": token, "Content-Type": "application/json"}
    all_headers.update(headers)
    return client.post("/webhooks/gitlab", data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def run_worker(redis_conn) -> bool:
    """Process every queued job (and due retries) in this process, as `incident-desk worker --burst` does."""
    from worker.queue import DELIVERIES

    worker = SimpleWorker([DELIVERIES], connection=redis_conn, serializer=JSONSerializer)
    return worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def github_repo_config(api, repository="Codertocat/Hello-World", text: str | None = None):
    """Expect the bot to read the repository's config file (absent unless `text` is given)."""
    url = f"{GITHUB_REST}/repos/{repository}/contents/.github/incident-desk.yml"
    if text is None:
        api.get(url, status=404, json={"message": "Not Found", "documentation_url": "https://docs.github.com"})
    else:
        api.get(url, json={"type": "file", "encoding": "base64", "name": "incident-desk.yml",
                           "path": ".github/incident-desk.yml", "sha": "0" * 40, "size": len(text),
                           "content": base64.b64encode(text.encode()).decode()})


def gitlab_repo_config(api, project="gitlabhq/gitlab-test", text: str | None = None):
    url = f"{GITLAB_URL}/api/v4/projects/{project.replace('/', '%2F')}/repository/files/.gitlab%2Fincident-desk.yml/raw"
    if text is None:
        api.get(url, status=404, json={"message": "404 File Not Found"})
    else:
        api.get(url, body=text.encode())


def request_json(call) -> dict:
    body = call.request.body
    return json.loads(body.decode() if isinstance(body, bytes) else body)
