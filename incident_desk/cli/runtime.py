"""Process plumbing shared by the CLI commands: Redis location, migrations, gunicorn."""
from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

import redis
from gunicorn.app.base import BaseApplication

from incident_desk.settings import Settings
from worker.embedded_redis import EmbeddedRedis

EMBEDDED_REDIS_PORT = int(os.environ.get("INCIDENT_DESK_REDIS_PORT", "6389"))


def ensure_redis(redis_url: str | None, directory: str = ".") -> tuple[str, EmbeddedRedis | None]:
    """REDIS_URL when set; otherwise the embedded Redis on its fixed port, started if nobody has yet."""
    if redis_url:
        return redis_url, None
    embedded = EmbeddedRedis(directory, port=EMBEDDED_REDIS_PORT)
    try:
        redis.Redis.from_url(embedded.url, socket_connect_timeout=1).ping()
        return embedded.url, None  # another process of ours (serve, web) already runs it
    except redis.ConnectionError:
        return embedded.url, embedded.start()


def database_url(settings: Settings) -> str:
    """SQLite paths made absolute, so every child process opens the same file."""
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    return url


@contextmanager
def redis_and_database(settings: Settings, environ: MutableMapping[str, str]) -> Iterator[str]:
    """Redis found or started, the database migrated, both written to `environ` (REDIS_URL, DATABASE_URL)
    for this process and its children; yields the Redis URL and stops an embedded Redis on the way out."""
    from store import migrate

    redis_url, embedded = ensure_redis(settings.redis_url)
    environ.update(REDIS_URL=redis_url, DATABASE_URL=database_url(settings))
    try:
        migrate(environ["DATABASE_URL"])
        yield redis_url
    finally:
        if embedded:
            embedded.stop()


class GunicornApp(BaseApplication):
    """Run the Flask app under gunicorn from inside our own CLI."""

    def __init__(self, app_factory, options: dict):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.app_factory()
