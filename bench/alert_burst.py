"""Benchmark of a noisy alert (issue 17): 1,000 repeats of one group's notification, how long they take and how
many jobs they queue.

Runs the real app (`webhook_app:create_app()`) under gunicorn as bench/ack.py does, against an embedded Redis and
a temporary SQLite database, with one alert source, and posts Alertmanager's documented notification
(tests/fixtures/alerts/alertmanager_firing.json) --count times on loopback, bearer token and all, from
--concurrency client threads (a bounded loop: each sends its share and stops). Alertmanager re-sends a firing
group every repeat_interval unchanged; every repeat must be answered 202 "duplicate" and queue nothing, so the
queue must hold exactly one job at the end (no worker runs, so nothing leaves it).

    .venv/bin/python bench/alert_burst.py [--count 1000] [--concurrency 4] [--workers 2]

Prints the time the burst took, the answers' latency and what they were, and the queue's length.
Exit status 0 when the answers are one "queued" and the rest "duplicate" and exactly one job is queued.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `python bench/alert_burst.py` works from any directory

import redis  # noqa: E402

from bench.ack import Gunicorn, percentile, send  # noqa: E402
from store import migrate  # noqa: E402
from worker.embedded_redis import EmbeddedRedis  # noqa: E402
from worker.queue import deliveries_queue  # noqa: E402

SOURCE, TOKEN = "bench", "bench-alert-token"
PAYLOAD = ROOT / "tests" / "fixtures" / "alerts" / "alertmanager_firing.json"  # Alertmanager's documented format


def request(port: int) -> bytes:
    body = PAYLOAD.read_bytes()
    return (f"POST /webhooks/alerts/{SOURCE} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "User-Agent: Alertmanager/0.28.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def burst(port: int, count: int, concurrency: int) -> tuple[float, list[float], dict[tuple[int, str], int]]:
    """(seconds the burst took, each request's latency, answers by (status, outcome))."""
    raw = request(port)
    latencies: list[float] = []
    answers: dict[tuple[int, str], int] = {}
    lock = threading.Lock()

    def client(share: int) -> None:
        for _ in range(share):
            sent = time.perf_counter()
            try:
                answer = send(port, raw)
            except (OSError, IndexError, ValueError) as exc:  # refused, reset, timed out, garbled
                answer = (0, exc.__class__.__name__)
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took)
                answers[answer] = answers.get(answer, 0) + 1

    shares = [count // concurrency + (1 if n < count % concurrency else 0) for n in range(concurrency)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, answers


def run(args) -> tuple[float, list[float], dict, int]:
    embedded, server = None, None
    with tempfile.TemporaryDirectory(prefix="incident-desk-alert-burst-") as tmp:
        try:
            embedded = EmbeddedRedis(Path(tmp), persist=False).start()
            database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            migrate(database_url)
            env = dict(os.environ, REDIS_URL=embedded.url, DATABASE_URL=database_url,
                       INCIDENT_DESK_ALERT_SOURCES=f"{SOURCE}={TOKEN}", PYTHONUNBUFFERED="1")
            conn = redis.Redis.from_url(embedded.url)
            conn.flushdb()
            server = Gunicorn("webhook_app:create_app()", args.workers, env, Path(tmp) / "app.log")
            server.start()
            print(f"posting {args.count} repeats of one group to 127.0.0.1:{server.port} from "
                  f"{args.concurrency} threads ({args.workers} gunicorn workers)", flush=True)
            seconds, latencies, answers = burst(server.port, args.count, args.concurrency)
            queued = deliveries_queue(conn).count
        finally:
            if server:
                server.stop()
            if embedded:
                embedded.stop()
    return seconds, latencies, answers, queued


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="notifications to post (default 1000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    args = parser.parse_args(argv)
    if min(args.count, args.concurrency, args.workers) < 1:
        parser.error("--count, --concurrency and --workers must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds through run()'s finally, like Ctrl-C

    seconds, latencies, answers, queued = run(args)
    expected = {(202, "queued"): 1, (202, "duplicate"): args.count - 1} if args.count > 1 else {(202, "queued"): 1}
    answers_ok, queue_ok = answers == expected, queued == 1
    print(f"burst of {args.count} took {seconds:.3f} s ({args.count / seconds:.0f} notifications/s); "
          f"latency p50 {percentile(latencies, 0.5) * 1000:.2f} ms, p99 {percentile(latencies, 0.99) * 1000:.2f} ms, "
          f"max {max(latencies) * 1000:.2f} ms")
    print("answers: " + ", ".join(f"{n} x {status} {outcome}" for (status, outcome), n in sorted(answers.items()))
          + f"  ({'as expected' if answers_ok else 'NOT 1 queued and the rest duplicate'})")
    print(f"jobs queued: {queued}  (expected 1: {'met' if queue_ok else 'NOT met'})")
    return 0 if answers_ok and queue_ok else 1


if __name__ == "__main__":
    sys.exit(main())
