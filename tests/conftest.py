"""Shared fixtures: a real Redis and database, the app and its client, faked forge HTTP APIs.
Helpers that are not fixtures: tests/support.py (signed posts, the burst worker) and tests/fakes/.

Redis is `REDIS_URL` when set, else an embedded redis-server started for the session.
The database is `DATABASE_URL` when set, else a SQLite file. Only forge HTTP APIs are faked.
"""
from __future__ import annotations

import os

import pytest
import responses
from sqlalchemy import text

from incident_desk.settings import Settings
from tests.support import BOT_LOGIN, GITHUB_API, GITHUB_SECRET, GITLAB_SECRET, GITLAB_URL

# No settings file (issue 19) from the machine running the tests: they see only the environment they set.
os.environ["INCIDENT_DESK_SETTINGS_FILE"] = ""


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
        "INCIDENT_DESK_RETRY_BASE_SECONDS": "0", "INCIDENT_DESK_GITHUB_WRITE_INTERVAL": "0",
        "INCIDENT_DESK_GITLAB_WRITE_INTERVAL": "0",
        "INCIDENT_DESK_MAX_ATTEMPTS": "4",
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
def fake_api():
    """For the stateful fakes: unexpected calls still fail, but not every route must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def api():
    """Faked forge HTTP APIs; a test fails on a call it did not expect or an expected call not made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def smtp_port():
    from worker.embedded_redis import free_port

    return free_port()


@pytest.fixture
def mail_client(settings, store, monkeypatch, smtp_port):
    """The app with SMTP_URL set (the shared `settings` fixture has no mail): status-page and maintenance mail."""
    from webhook_app import create_app

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{smtp_port}?from=status@example.com")
    monkeypatch.setenv("PUBLIC_URL", "https://status.example.com")
    return create_app({"SETTINGS": Settings.from_env(), "TESTING": True}).test_client()
