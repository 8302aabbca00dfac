"""Benchmark of the webhook ack path: verify, dedupe, enqueue, answer 202.

Runs the real app (`webhook_app:create_app()`) and a bare Flask endpoint that only answers 202
(bench/bare_app.py) under the same gunicorn settings, against an embedded Redis and a temporary
SQLite database, and drives each with real signed GitHub payloads:

  (a) max throughput: --concurrency client processes in a closed loop for --duration seconds;
  (b) fixed rate: --rate deliveries/s, open loop, for --duration seconds; latency is measured
      from each request's scheduled send time, so a server that falls behind shows it.

  (c) Slack slash commands (issue 16): after (a) and (b), on the same app, --slack-rate signed
      `/incident db is down` commands/s, open loop, for --duration seconds, each with its own
      trigger_id; Slack wants each answered within 3 seconds.

Targets (issue 3, item 12): ack throughput >= 0.5 x bare throughput, p99 < 50 ms at 200/s; and the
slash command's p99 < 3 s, every answer 200 with the ephemeral "Declaring the incident…" (issue 16).
It also checks that every ack answer was 202 "queued" and that the RQ queue holds one job per
delivery and slash command sent (no worker runs, so nothing leaves the queue). With no worker, the queue passes
webhook_app.deliveries.BACKLOG_TO_COMPRESS during the warm-up, so the measured runs take the path
the receiver takes when workers fall behind: each job's data zlib-compressed.

    .venv/bin/python bench/ack.py [--duration 10] [--rate 200] [--concurrency 2xworkers] [--workers 2] [--rounds 1]

On a small shared machine one pair of measurements swings by a tenth of the ratio or more, as the
machine's speed drifts between the bare run and the ack run. --rounds N measures bare then ack N
times and judges the median ratio and the median p99, printing every round.

Exit status 0 when the targets are met and the checks pass, 1 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `python bench/ack.py` works from any directory

import redis  # noqa: E402

from incident_desk.signing import sha256_signature as github_signature  # noqa: E402
from store import migrate  # noqa: E402
from worker.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from worker.queue import deliveries_queue  # noqa: E402

SECRET = "bench-secret"
FIXTURES = ROOT / "tests" / "fixtures" / "github"
# (X-GitHub-Event, fixture file): both are events the app handles, so each delivery is queued.
PAYLOADS = [("issues", "issues__opened.json"), ("issue_comment", "issue_comment__created.json")]
SLACK_SECRET = "bench-slack-signing-secret"
SLASH_COMMAND = ROOT / "tests" / "fixtures" / "slack" / "slash_command.json"  # Slack's documented example
SLACK_ACK_SECONDS = 3.0  # Slack shows the user an error when a slash command is not answered by then
WARMUP_SECONDS = 1.0
TIMEOUT = 10.0  # a webhook must be answered within 10 s (DESIGN "Rules that always hold")


# ---------------------------------------------------------------------------------------------
# The client: raw sockets, one connection per request.
#
# gunicorn's sync worker closes the connection after every response, so there is no keep-alive
# to reuse; a plain socket with a prebuilt request is the cheapest client Python has, which
# matters on a 2-core machine where client and server share the CPU.
# ---------------------------------------------------------------------------------------------

def request_templates(port: int) -> list[tuple[bytes, bytes]]:
    """(head with a %s for the delivery id, body) per payload; the signature covers the body only,
    so it is computed once and every request can still carry a new delivery id."""
    templates = []
    for event, name in PAYLOADS:
        body = (FIXTURES / name).read_bytes()
        head = ("POST /webhooks/github HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "User-Agent: GitHub-Hookshot/incident-desk-bench\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"X-GitHub-Event: {event}\r\n"
                f"X-Hub-Signature-256: {github_signature(SECRET, body)}\r\n"
                "X-GitHub-Delivery: %s\r\n"
                "Connection: close\r\n\r\n").encode()
        templates.append((head, body))
    return templates


class SlashCommand:
    """`/incident db is down` as Slack posts it: form-encoded, signed over `v0:<timestamp>:<body>`; each call
    makes a new request (its own trigger_id, the time now), so each is queued, not deduplicated."""

    def __init__(self, port: int):
        self.port = port
        self.fields = {**json.loads(SLASH_COMMAND.read_text()), "command": "/incident", "text": "db is down"}

    def __call__(self) -> bytes:
        body = urlencode({**self.fields, "trigger_id": uuid.uuid4().hex}).encode()
        timestamp = str(int(time.time())).encode()
        signature = hmac.new(SLACK_SECRET.encode(), b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest()
        return (f"POST /webhooks/slack/commands HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                "User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {timestamp.decode()}\r\n"
                f"X-Slack-Signature: v0={signature}\r\nConnection: close\r\n\r\n").encode() + body


def post(port: int, head: bytes, body: bytes) -> tuple[int, str]:
    """Send one delivery with a fresh delivery id; return (status, outcome from the JSON answer)."""
    return send(port, head % str(uuid.uuid4()).encode() + body)


def send(port: int, request: bytes) -> tuple[int, str]:
    """Send one request; (status, the answer's `outcome`, or a Slack answer's `response_type`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head_bytes, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    status = int(head_bytes.split(b" ", 2)[1])
    try:
        answer = json.loads(payload)
        outcome = answer.get("outcome") or answer.get("response_type") or "?"
    except ValueError:
        outcome = "not-json"
    return status, outcome


def _call(port: int, template) -> tuple[int, str]:
    """One request from a (head, body) template or a callable that makes the request (SlashCommand)."""
    try:
        return send(port, template()) if callable(template) else post(port, *template)
    except (OSError, IndexError, ValueError) as exc:  # refused, reset, timed out, garbled
        return 0, exc.__class__.__name__


class Tally:
    """What one client process saw: answers by (status, outcome) and each request's latency."""

    def __init__(self):
        self.answers: dict[tuple[int, str], int] = {}
        self.latencies: list[float] = []
        self.cpu = 0.0  # client CPU seconds, to show how much of the machine the client took

    def add(self, status: int, outcome: str, latency: float) -> None:
        self.answers[(status, outcome)] = self.answers.get((status, outcome), 0) + 1
        self.latencies.append(latency)

    def merge(self, other: Tally) -> Tally:
        for key, n in other.answers.items():
            self.answers[key] = self.answers.get(key, 0) + n
        self.latencies += other.latencies
        self.cpu += other.cpu
        return self

    @property
    def sent(self) -> int:
        return sum(self.answers.values())


def closed_loop(job: tuple) -> Tally:
    """One client process: send, wait for the answer, send the next, from start_at to stop_at."""
    port, templates, start_at, stop_at, offset = job
    tally = Tally()
    while time.time() < start_at:
        time.sleep(0.001)
    cpu_started = time.process_time()
    for i in itertools.count(offset):
        if time.time() >= stop_at:
            break
        started = time.perf_counter()
        status, outcome = _call(port, templates[i % len(templates)])
        tally.add(status, outcome, time.perf_counter() - started)
    tally.cpu = time.process_time() - cpu_started
    return tally


def _pool_initializer():
    # The parent handles Ctrl-C and SIGTERM and then terminates the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def max_throughput(port: int, templates, concurrency: int, duration: float) -> tuple[Tally, float]:
    """Closed loop with `concurrency` client processes (processes, not threads: no shared GIL)."""
    context = multiprocessing.get_context("fork")
    with context.Pool(concurrency, initializer=_pool_initializer) as pool:
        start_at = time.time() + 0.3  # let every process be ready before the clock starts
        jobs = [(port, templates, start_at, start_at + duration, n) for n in range(concurrency)]
        tallies = pool.map(closed_loop, jobs)
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total, duration


def fixed_rate(port: int, templates, rate: float, duration: float, threads: int = 32) -> tuple[Tally, float]:
    """Open loop: request i is due at t0 + i/rate whatever happened to the earlier ones.

    Latency counts from the due time, not from when a thread got round to sending, so a slow
    server (or a saturated client) is not hidden by sending later ("coordinated omission").
    """
    total_requests = int(rate * duration)
    counter = itertools.count()  # next() on it is atomic under the GIL
    results: list[tuple[int, str, float] | None] = [None] * total_requests
    t0 = time.perf_counter() + 0.2

    def run():
        while (i := next(counter)) < total_requests:
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, outcome = _call(port, templates[i % len(templates)])
            results[i] = (status, outcome, time.perf_counter() - due)

    cpu_started = time.process_time()
    workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - t0
    tally = Tally()
    for status, outcome, latency in filter(None, results):
        tally.add(status, outcome, latency)
    tally.cpu = time.process_time() - cpu_started
    return tally, elapsed


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in the same unit as the values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


# ---------------------------------------------------------------------------------------------
# The servers
# ---------------------------------------------------------------------------------------------

def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc); 0 where unreadable."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat; (0, 0) elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Gunicorn:
    """gunicorn serving one app spec; the settings are the same for every target."""

    def __init__(self, app_spec: str, workers: int, env: dict, log_path: Path):
        self.app_spec, self.workers, self.env, self.log_path = app_spec, workers, env, log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Gunicorn:
        args = [sys.executable, "-m", "gunicorn", self.app_spec,
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                "--worker-class", "sync", "--timeout", "30", "--graceful-timeout", "10",
                "--log-level", "warning"]  # no access log, as `incident-desk web` runs it
        self.log = self.log_path.open("wb")
        # Own session: a Ctrl-C in the terminal reaches only us, and we stop gunicorn ourselves.
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._healthy() and len(children_of(self.process.pid)) >= self.workers:
                return self
            time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"gunicorn {self.app_spec} did not become healthy:\n{tail}")

    def _healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                return sock.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def pids(self) -> list[int]:
        return [self.process.pid, *children_of(self.process.pid)] if self.process else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM to the master: it stops its workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "log", None):
            self.log.close()


def redis_calls(conn) -> int:
    """Commands Redis has executed so far (all commands; INFO itself adds one per call)."""
    return sum(stat["calls"] for stat in conn.info("commandstats").values())


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def measure(name: str, server: Gunicorn, args, redis_pid: int | None) -> dict:
    templates = request_templates(server.port)
    print(f"[{name}] warming up {WARMUP_SECONDS:.0f}s, then {args.duration:.0f}s at max throughput "
          f"(concurrency {args.concurrency}) and {args.duration:.0f}s at {args.rate:.0f}/s", flush=True)
    warmup, _ = max_throughput(server.port, templates, args.concurrency, WARMUP_SECONDS)
    server_pids = server.pids()
    cpu_before = cpu_seconds(server_pids), cpu_seconds([redis_pid] if redis_pid else []), machine_busy()
    peak, peak_seconds = max_throughput(server.port, templates, args.concurrency, args.duration)
    cpu_after = cpu_seconds(server_pids), cpu_seconds([redis_pid] if redis_pid else []), machine_busy()
    ours = (cpu_after[0] - cpu_before[0]) + (cpu_after[1] - cpu_before[1]) + peak.cpu
    busy, total = (cpu_after[2][i] - cpu_before[2][i] for i in (0, 1))
    paced, paced_seconds = fixed_rate(server.port, templates, args.rate, args.duration)
    return {
        "name": name, "warmup": warmup, "peak": peak, "peak_seconds": peak_seconds,
        "paced": paced, "paced_seconds": paced_seconds,
        # CPU per delivery during the max-throughput phase: where the 2 cores went.
        "server_cpu_ms": 1000 * (cpu_after[0] - cpu_before[0]) / max(peak.sent, 1),
        "redis_cpu_ms": 1000 * (cpu_after[1] - cpu_before[1]) / max(peak.sent, 1),
        "client_cpu_ms": 1000 * peak.cpu / max(peak.sent, 1),
        # Share of the whole machine that was busy, and the part not charged to the benchmark's
        # processes: the kernel's loopback TCP work (softirq) and any other program running
        # meanwhile (another test run on the same machine makes the figures noisy).
        "machine_busy": busy / total if total else float("nan"),
        "others_busy": max(0.0, busy - ours) / total if total else float("nan"),
    }


def measure_slash_commands(server: Gunicorn, args) -> dict:
    """(c): signed slash commands at --slack-rate for --duration seconds, on the app already measured."""
    print(f"[slack] {args.duration:.0f}s of slash commands at {args.slack_rate:.0f}/s", flush=True)
    paced, seconds = fixed_rate(server.port, [SlashCommand(server.port)], args.slack_rate, args.duration)
    return {"paced": paced, "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries/s for the latency run (default 200)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="client processes in the max-throughput run (default 2 x --workers: enough "
                             "to keep every worker busy without the clients crowding a 2-core machine)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per target (default 2)")
    parser.add_argument("--slack-rate", type=float, default=50.0,
                        help="slash commands/s for the Slack run (default 50)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure bare then ack this many times; judge the medians (default 1)")
    args = parser.parse_args(argv)
    if args.concurrency is None:
        args.concurrency = 2 * args.workers
    if min(args.duration, args.rate, args.slack_rate) <= 0 or min(args.concurrency, args.workers, args.rounds) < 1:
        parser.error("--duration, --rate and --slack-rate must be positive, --concurrency, --workers and --rounds "
                     "at least 1")

    # SIGTERM (e.g. from a CI timeout) unwinds through the finally below like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers: list[Gunicorn] = []
    embedded = None
    with tempfile.TemporaryDirectory(prefix="incident-desk-bench-") as tmp:
        tmp = Path(tmp)
        try:
            embedded = EmbeddedRedis(tmp, persist=False).start()
            database_url = f"sqlite:///{tmp / 'bench.db'}"
            migrate(database_url)
            env = dict(os.environ, REDIS_URL=embedded.url, DATABASE_URL=database_url,
                       GITHUB_WEBHOOK_SECRET=SECRET, SLACK_SIGNING_SECRET=SLACK_SECRET, PYTHONUNBUFFERED="1")
            conn = redis.Redis.from_url(embedded.url)
            conn.flushdb()
            queue = deliveries_queue(conn)

            rounds = []
            for n in range(args.rounds):
                # Bare first, then the app; one server at a time so they never share the CPU.
                # Each server is listed before it starts, so a signal during start-up still stops it.
                bare = Gunicorn("bench.bare_app:app", args.workers, env, tmp / f"bare-{n}.log")
                servers.append(bare)
                bare.start()
                bare_result = measure("bare", bare, args, embedded.process.pid)
                bare.stop()

                ack = Gunicorn("webhook_app:create_app()", args.workers, env, tmp / f"ack-{n}.log")
                servers.append(ack)
                ack.start()
                calls_before = redis_calls(conn)
                ack_result = measure("ack", ack, args, embedded.process.pid)
                ack_result["redis_per_delivery"] = (redis_calls(conn) - calls_before - 1) / max(
                    sum(ack_result[k].sent for k in ("warmup", "peak", "paced")), 1)
                ack_result["slack"] = measure_slash_commands(ack, args)
                ack.stop()
                rounds.append((bare_result, ack_result))
            queued = queue.count
        finally:
            for server in servers:
                server.stop()
            if embedded:
                embedded.stop()

    return report(args, rounds, queued)


def report(args, rounds: list[tuple[dict, dict]], queued: int) -> int:
    ratios, p99s = [], []
    for n, (bare, ack) in enumerate(rounds):
        if len(rounds) > 1:
            print(f"\n--- round {n + 1} of {len(rounds)}")
        ratio, ack_p99_ms = report_round(args, bare, ack)
        ratios.append(ratio)
        p99s.append(ack_p99_ms)
    ratio, ack_p99_ms = statistics.median(ratios), statistics.median(p99s)
    print()
    if len(rounds) > 1:
        print(f"ratios by round: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"ack p99 ms by round: {', '.join(f'{p:.2f}' for p in p99s)}")
    what = "median " if len(rounds) > 1 else ""

    ratio_ok = ratio >= 0.5
    p99_ok = ack_p99_ms < 50
    print(f"{what}throughput ratio ack/bare: {ratio:.3f}  (target >= 0.50: {'met' if ratio_ok else 'NOT met'})")
    print(f"{what}ack p99 at {args.rate:.0f}/s: {ack_p99_ms:.2f} ms"
          f"  (target < 50 ms: {'met' if p99_ok else 'NOT met'})")

    # Every ack answer must be 202 "queued", and the queue must hold exactly that many jobs.
    answers: dict[tuple[int, str], int] = {}
    for _bare, ack in rounds:
        for phase in ("warmup", "peak", "paced"):
            for key, n in ack[phase].answers.items():
                answers[key] = answers.get(key, 0) + n
    sent = sum(answers.values())
    all_queued = set(answers) == {(202, "queued")}
    print("ack answers: " + ", ".join(f"{n} x {status} {outcome}" for (status, outcome), n in sorted(answers.items()))
          + f"  ({'all 202 queued' if all_queued else 'NOT all 202 queued'})")
    slack_ok, commands_sent = report_slash_commands(args, [ack["slack"] for _bare, ack in rounds])
    queue_ok = queued == sent + commands_sent
    print(f"RQ queue length {queued}, deliveries and slash commands sent {sent + commands_sent}: "
          f"{'equal' if queue_ok else 'MISMATCH'}")
    if args.rate * args.duration and any(ack["paced"].sent < int(args.rate * args.duration) for _b, ack in rounds):
        print("note: a fixed-rate run did not complete every scheduled request")
    return 0 if (ratio_ok and p99_ok and all_queued and queue_ok and slack_ok) else 1


def report_slash_commands(args, runs: list[dict]) -> tuple[bool, int]:
    """Print the slash commands' ack times (every round's together); (target met, commands sent)."""
    tally = Tally()
    for run in runs:
        tally.merge(run["paced"])
    p50, p99, worst = (percentile(tally.latencies, q) for q in (0.50, 0.99, 1.0))
    all_ephemeral = set(tally.answers) == {(200, "ephemeral")}
    ok = p99 < SLACK_ACK_SECONDS and all_ephemeral
    print(f"slash command ack at {args.slack_rate:.0f}/s: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
          f"max {worst * 1000:.2f} ms over {tally.sent}  (target p99 < {SLACK_ACK_SECONDS:.0f} s: "
          f"{'met' if p99 < SLACK_ACK_SECONDS else 'NOT met'})")
    print("slash command answers: " + ", ".join(f"{n} x {status} {outcome}" for (status, outcome), n in
                                                sorted(tally.answers.items()))
          + f"  ({'all 200 ephemeral' if all_ephemeral else 'NOT all 200 ephemeral'})")
    return ok, tally.sent


def report_round(args, bare: dict, ack: dict) -> tuple[float, float]:
    """Print one round's table and CPU figures; return its throughput ratio and ack p99 (ms)."""
    rows = []
    for result in (bare, ack):
        peak, paced = result["peak"], result["paced"]
        rows.append((result["name"], f"max, c={args.concurrency}", peak.sent / result["peak_seconds"],
                     percentile(peak.latencies, 0.50), percentile(peak.latencies, 0.99), peak.sent,
                     sent_badly(peak, result["name"])))
        rows.append((result["name"], f"fixed {args.rate:.0f}/s", paced.sent / result["paced_seconds"],
                     percentile(paced.latencies, 0.50), percentile(paced.latencies, 0.99), paced.sent,
                     sent_badly(paced, result["name"])))

    print()
    print(f"gunicorn: {args.workers} sync workers per target; {os.cpu_count()} CPUs; "
          f"{args.duration:.0f}s per measurement; load average at the end {os.getloadavg()[0]:.2f}")
    print(f"{'target':<7} {'run':<14} {'deliveries/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'bad':>5}")
    for name, run, rate, p50, p99, sent, bad in rows:
        print(f"{name:<7} {run:<14} {rate:>12.1f} {p50 * 1000:>8.2f} {p99 * 1000:>8.2f} {sent:>9} {bad:>5}")

    ratio = (ack["peak"].sent / ack["peak_seconds"]) / max(bare["peak"].sent / bare["peak_seconds"], 1e-9)
    ack_p99_ms = percentile(ack["paced"].latencies, 0.99) * 1000
    print()
    print("CPU ms per delivery at max throughput (server = gunicorn master+workers; 'not ours' ="
          " kernel network work + other programs):")
    for result in (bare, ack):
        print(f"  {result['name']:<5} server {result['server_cpu_ms']:.2f}  redis {result['redis_cpu_ms']:.2f}"
              f"  client {result['client_cpu_ms']:.2f}   machine busy {result['machine_busy']:.0%}"
              f" (not ours: {result['others_busy']:.0%})")
    print(f"Redis commands per ack delivery: {ack['redis_per_delivery']:.1f}")
    if args.rounds > 1:
        print(f"round ratio ack/bare: {ratio:.2f}; ack p99 at {args.rate:.0f}/s: {ack_p99_ms:.2f} ms")
    return ratio, ack_p99_ms


def sent_badly(tally: Tally, name: str) -> int:
    """Answers that are not what the target should give (errors, wrong status or outcome)."""
    good = (202, "queued") if name == "ack" else (202, "bare")
    return sum(n for key, n in tally.answers.items() if key != good)


if __name__ == "__main__":
    sys.exit(main())
