"""Process plumbing shared by the CLI commands: Redis location, migrations, gunicorn."""
from __future__ import annotations

import os

import redis
from gunicorn.app.base import BaseApplication

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
