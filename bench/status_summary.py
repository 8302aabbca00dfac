"""Benchmark of the public status page's summary.json on a page with two years of history (issue 8).

Seeds a temporary SQLite database (or a fresh schema of --database-url, dropped afterwards) with one
status page of 50 components in four groups plus a few ungrouped ones, 10,000 resolved published
incidents spread over the last two years (each with three public updates: identified, monitoring,
resolved; random components and severities) and 3 active incidents, written the way the app writes
them (the past incidents in bulk with SQLAlchemy Core, the active ones through the Store's methods).

Then it serves the real app (`webhook_app:create_app()`) under gunicorn, as bench/ack.py does, and
sends sequential GETs over HTTP (one connection per request, as the sync worker closes it anyway):
after a warm-up, --requests to `api/v2/summary.json` and --conditional more with `If-None-Match`
(the 304 path), then --other-requests each to `index.html`, `api/v2/incidents.json` and
`history.html`, reported only. Latency is from connect to the last byte of the answer.

Target (issue 8): summary.json answers in under 100 ms on this machine; met when its p99 (and so its
p50) is under 100 ms. It also checks the answers: every one 200 (304 for the conditional ones),
summary.json listing the active incidents and every component, incidents.json its 50 newest.

With --profile it also renders each file in-process (`Site.load(store, slug, url).render(path)`)
under cProfile and prints where the time goes, with the SQL statements and their time.

    .venv/bin/python bench/status_summary.py [--incidents 10000] [--requests 500] [--conditional 50]
        [--other-requests 30] [--workers 2] [--database-url postgresql://...] [--profile]

Exit status 0 when the target is met and the checks pass, 1 otherwise.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `python bench/status_summary.py` works from any directory

from sqlalchemy import create_engine, event, insert, make_url, select, text  # noqa: E402

from bench.ack import Gunicorn, cpu_seconds, percentile  # noqa: E402
from incidents.config_model import Component  # noqa: E402
from incidents.model import Incident, Severity, Status  # noqa: E402
from incidents.status_page import StatusPage, default_message  # noqa: E402
from store import Store, migrate  # noqa: E402
from store.models import IncidentRow, PublicationRow, StatusUpdateRow  # noqa: E402
from webhook_app.status_site import RECENT_INCIDENTS_API, Site  # noqa: E402
from worker.embedded_redis import EmbeddedRedis  # noqa: E402

SLUG = "acme"
PLATFORM, REPOSITORY = "github", "acme/api"
PUBLIC_URL = "https://status.example.com"
TARGET_MS = 100.0
TIMEOUT = 30.0
SUMMARY = "api/v2/summary.json"
OTHERS = ("index.html", "api/v2/incidents.json", "history.html")
CONDITIONAL_HTML = ("index.html", "history.html")
INDEX_TARGET_MS = 30.0  # issue 15: index.html at 10,000 past incidents (render cache), and a 304 without render
GROUPS = ("Core API", "Web", "Data", "Integrations")  # 10 components each, then 10 without a group
SEVERITIES = ([Severity.MAJOR_OUTAGE] * 2 + [Severity.PARTIAL_OUTAGE] * 4 + [Severity.DEGRADED_PERFORMANCE] * 5
              + [Severity.OPERATIONAL])
WHAT = ("Elevated error rates", "Increased latency", "Degraded performance", "Partial outage", "Delayed processing",
        "Failed requests", "Intermittent timeouts", "Login failures")


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------

def components() -> tuple[Component, ...]:
    listed = []
    for group in GROUPS:
        for n in range(10):
            listed.append(Component(f"{group.split()[0].lower()}-{n}", f"{group} service {n}",
                                    f"The {group.lower()} service number {n}" if n % 3 == 0 else "", group))
    for n in range(10):
        listed.append(Component(f"misc-{n}", f"Other service {n}", "", None))
    return tuple(listed)


def seed(store: Store, page: StatusPage, count: int, active: int, now: datetime) -> None:
    """`count` past incidents in bulk (ids come from the database, so sequences stay right), then
    `active` open ones through the Store's methods, as the worker writes them."""
    rng = random.Random(8)
    ids = [c.id for c in page.components]
    span = int(timedelta(days=730).total_seconds())
    past = []
    for number in range(1, count + 1):
        reported = now - timedelta(days=1) - timedelta(seconds=rng.randint(0, span))
        identified = reported + timedelta(minutes=rng.randint(5, 60))
        monitoring = identified + timedelta(minutes=rng.randint(10, 360))
        resolved = monitoring + timedelta(minutes=rng.randint(10, 360))
        affected = rng.sample(ids, rng.choice((1, 1, 1, 2, 2, 3)))
        severity = rng.choice(SEVERITIES)
        past.append((number, reported, identified, monitoring, resolved, affected, severity))
    with store.engine.begin() as conn:
        conn.execute(insert(IncidentRow), [dict(
            platform=PLATFORM, repository=REPOSITORY, number=n,
            title=f"{rng.choice(WHAT)} on {', '.join(affected)}", url=f"https://github.com/{REPOSITORY}/issues/{n}",
            status=Status.RESOLVED.value, severity=severity.value, components=affected, commander=f"user{n % 40}",
            reported_at=reported, resolved_at=resolved, closed_at=resolved, tracking=True, installation_id=1,
            last_update_at=resolved, forced_close=False, private=False, open_actions=0,
            ttf_seconds=(resolved - reported).total_seconds(), updated_at=resolved)
            for n, reported, _, _, resolved, affected, severity in past])
        row_id = dict(conn.execute(select(IncidentRow.number, IncidentRow.id)
                                   .where(IncidentRow.repository == REPOSITORY)).all())
        # The publication keeps what the last public update said (store.add_update sets these two).
        columns = PublicationRow.__table__.c
        conn.execute(insert(PublicationRow), [{
            "incident_id": row_id[n], "public_id": secrets.token_hex(6), "published": True,
            "published_at": identified, "name": f"{rng.choice(WHAT)} ({n})", "workaround": None,
            "postmortem": None, "postmortem_at": None,
            **{k: v for k, v in (("status", Status.RESOLVED.value), ("resolved_at", resolved)) if k in columns}}
            for n, _, identified, _, resolved, *_ in past])
        updates = []
        for n, _, identified, monitoring, resolved, affected, severity in past:
            for status, at in ((Status.IDENTIFIED, identified), (Status.MONITORING, monitoring),
                               (Status.RESOLVED, resolved)):
                message = default_message(status) if rng.random() < 0.7 else \
                    f"{default_message(status)} {rng.choice(WHAT)} affected about {rng.randint(1, 40)}% of requests."
                updates.append(dict(incident_id=row_id[n], key=f"delivery-{uuid.uuid4()}:status", status=status.value,
                                    severity=severity.value, components=affected, message=message, created_at=at))
        conn.execute(insert(StatusUpdateRow), updates)

    # The open ones: investigating (published by hand), identified, monitoring, ...
    for k in range(active):
        number = count + 1 + k
        status = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)[k % 3]
        reported = now - timedelta(minutes=30 + 40 * k)
        severity = (Severity.MAJOR_OUTAGE, Severity.PARTIAL_OUTAGE, Severity.DEGRADED_PERFORMANCE)[k % 3]
        affected = tuple(rng.sample(ids, 2))
        incident = Incident(PLATFORM, REPOSITORY, number, f"Ongoing: {rng.choice(WHAT)}", status=Status.INVESTIGATING,
                            severity=severity, components=affected, reported_at=reported, commander="oncall",
                            url=f"https://github.com/{REPOSITORY}/issues/{number}")
        store.save_incident(incident)
        store.set_publication(incident, published=True, name=incident.title, published_at=reported)
        steps = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]
        for i, step in enumerate(steps[:steps.index(status) + 1]):
            incident = incident.with_changes(status=step)
            store.save_incident(incident)
            store.add_update(incident, f"comment-{number}{i}:/status {step.value}", default_message(step),
                             reported + timedelta(minutes=10 * i))
    if store.engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum would have gathered them long ago on a real database; without
        # them PostgreSQL guesses one row per table right after a bulk load and picks nested loops.
        # (SQLite gets none: nothing in the app runs ANALYZE there.)
        with store.engine.begin() as conn:
            for table in ("incidents", "publications", "status_updates", "status_pages"):
                conn.execute(text(f"ANALYZE {table}"))


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------

def get(port: int, path: str, etag: str | None = None) -> tuple[int, dict, bytes, float]:
    """One GET on a new connection: (status, headers, body, seconds from connect to the last byte)."""
    request = (f"GET /status/{SLUG}/{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "User-Agent: incident-desk-bench\r\nAccept-Encoding: identity\r\n"
               + (f"If-None-Match: {etag}\r\n" if etag else "") + "Connection: close\r\n\r\n").encode()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(262144):
            chunks.append(chunk)
    elapsed = time.perf_counter() - started
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ", 2)[1]), headers, body, elapsed


class Run:
    """The answers and latencies of one series of requests."""

    def __init__(self, name: str):
        self.name, self.latencies, self.statuses, self.sizes = name, [], {}, []
        self.server_cpu = 0.0  # CPU seconds of gunicorn (master + workers) during the series

    def add(self, status: int, body: bytes, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.sizes.append(len(body))

    def ms(self, q: float) -> float:
        return 1000 * percentile(self.latencies, q)


def series(server: Gunicorn, path: str, n: int, name: str | None = None, etag: str | None = None) -> Run:
    run = Run(name or path)
    pids = server.pids()
    cpu_before = cpu_seconds(pids)
    for _ in range(n):
        status, _, body, seconds = get(server.port, path, etag)
        run.add(status, body, seconds)
    run.server_cpu = cpu_seconds(pids) - cpu_before
    return run


# ---------------------------------------------------------------------------------------------
# In-process: render time and profile
# ---------------------------------------------------------------------------------------------

@contextmanager
def sql_timer(engine):
    """Count the statements the engine runs and the time they take (execute only, not row fetching)."""
    seen = {"count": 0, "seconds": 0.0}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seen["count"] += 1
        seen["seconds"] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def render_in_process(store: Store, path: str):
    return Site.load(store, SLUG, PUBLIC_URL).render(path)


def in_process(store: Store, paths, runs: int, profile: bool) -> list[tuple]:
    rows = []
    for path in paths:
        render_in_process(store, path)  # templates compiled, statements cached
        times, cpu = [], []
        with sql_timer(store.engine) as sql:
            for _ in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                render_in_process(store, path)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
        rows.append((path, 1000 * statistics.median(times), 1000 * statistics.median(cpu), sql["count"] / runs,
                     1000 * sql["seconds"] / runs))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            render_in_process(store, path)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(28)
            print(f"\n===== cProfile: Site.load(...).render({path!r}), sorted by cumulative time =====")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
            print("----- by own time -----")
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
    return rows


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

@contextmanager
def database(tmp: Path, database_url: str | None):
    """A SQLite file in `tmp`, or a fresh schema of the PostgreSQL database, dropped at the end."""
    if not database_url:
        yield f"sqlite:///{tmp / 'bench.db'}", "SQLite (temporary file)"
        return
    schema = f"bench_status_{secrets.token_hex(4)}"
    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False), f"{url.get_backend_name()} (schema {schema}, dropped after)"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def check(runs: dict, summary: dict, incidents_json: dict, page: StatusPage, active: int) -> list[str]:
    problems = []
    for name, run in runs.items():
        want = 304 if name.endswith("If-None-Match") else 200
        if name.endswith(".html If-None-Match") and set(run.statuses) == {200, 304}:
            continue  # the minute the pages print changed during the series: a new ETag, then 304s again
        if set(run.statuses) != {want}:
            problems.append(f"{name}: answers {run.statuses}, expected only {want}")
    if len(summary.get("incidents", [])) != active:
        problems.append(f"summary.json lists {len(summary.get('incidents', []))} incidents, expected {active}")
    listed = {c["id"] for c in summary.get("components", []) if not c.get("group")}
    if listed != set(page.component_ids):
        problems.append(f"summary.json lists {len(listed)} components, expected {len(page.components)}")
    if len(incidents_json.get("incidents", [])) != RECENT_INCIDENTS_API:
        problems.append(f"incidents.json lists {len(incidents_json.get('incidents', []))}, "
                        f"expected {RECENT_INCIDENTS_API}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000, help="past incidents (default 10000)")
    parser.add_argument("--active", type=int, default=3, help="active incidents (default 3)")
    parser.add_argument("--requests", type=int, default=500, help="summary.json requests (default 500)")
    parser.add_argument("--conditional", type=int, default=50, help="summary.json requests with If-None-Match "
                                                                   "(default 50)")
    parser.add_argument("--other-requests", type=int, default=30,
                        help="requests each to index.html, incidents.json, history.html (default 30)")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up requests per file (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL; the benchmark uses a fresh schema in it and drops it afterwards "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile each file's rendering in-process with cProfile")
    args = parser.parse_args(argv)
    if min(args.incidents, args.requests, args.workers) < 1 or min(args.active, args.conditional,
                                                                   args.other_requests, args.warmup) < 0:
        parser.error("counts must not be negative (--incidents, --requests, --workers at least 1)")
    if args.incidents < RECENT_INCIDENTS_API:
        parser.error(f"--incidents must be at least {RECENT_INCIDENTS_API} for the incidents.json check")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = embedded = None
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="incident-desk-bench-") as tmp, \
            database(Path(tmp), args.database_url) as (database_url, database_name):
        tmp = Path(tmp)
        try:
            migrate(database_url)
            store = Store(database_url)
            now = datetime.now(UTC)
            page = StatusPage(SLUG, "Acme status", "Europe/Paris", components=components(), platform=PLATFORM,
                              repository=REPOSITORY, repositories=())
            store.save_status_page(page)
            started = time.perf_counter()
            seed(store, page, args.incidents, args.active, now)
            seeded = time.perf_counter() - started
            print(f"seeded {args.incidents} past incidents ({3 * args.incidents} updates) and {args.active} active "
                  f"in {seeded:.1f}s; {database_name}", flush=True)

            embedded = EmbeddedRedis(tmp, persist=False).start()
            env = dict(os.environ, REDIS_URL=embedded.url, DATABASE_URL=database_url, PUBLIC_URL=PUBLIC_URL,
                       SMTP_URL="smtp://127.0.0.1:1", PYTHONUNBUFFERED="1")  # SMTP set: the page has its form
            server = Gunicorn("webhook_app:create_app()", args.workers, env, tmp / "gunicorn.log").start()
            port = server.port

            for path in (SUMMARY, *OTHERS):  # every worker compiles its templates, warms its pool
                series(server, path, args.warmup)
            status, headers, body, _ = get(port, SUMMARY)
            summary, etag = json.loads(body), headers.get("etag")
            incidents_json = json.loads(get(port, "api/v2/incidents.json")[2])
            print(f"warm-up done ({args.warmup} per file); measuring", flush=True)

            load = [os.getloadavg()[0]]
            runs[SUMMARY] = series(server, SUMMARY, args.requests)
            if args.conditional:
                runs[f"{SUMMARY} If-None-Match"] = series(server, SUMMARY, args.conditional, etag=etag)
            for path in OTHERS:
                if args.other_requests:
                    runs[path] = series(server, path, args.other_requests)
            for path in CONDITIONAL_HTML:  # the overview and history as a browser reloads them (issue 15)
                if args.other_requests:
                    html_etag = get(port, path)[1].get("etag")
                    runs[f"{path} If-None-Match"] = series(server, path, args.other_requests, etag=html_etag)
            load.append(os.getloadavg()[0])
            server.stop()
            server = None
            rendered = in_process(store, (SUMMARY, *OTHERS), 5, args.profile)
        finally:
            if server:
                server.stop()
            if embedded:
                embedded.stop()
        store.engine.dispose()

    problems = check(runs, summary, incidents_json, page, args.active)
    return report(args, runs, rendered, problems, database_name, load)


def report(args, runs: dict, rendered: list, problems: list[str], database_name: str, load: list) -> int:
    print()
    print(f"{args.incidents} past incidents, {args.active} active, 50 components; {database_name}; "
          f"gunicorn {args.workers} sync workers; {os.cpu_count()} CPUs; "
          f"load average {load[0]:.2f} before the measured requests, {load[1]:.2f} after")
    if load[0] > 1.0:
        print("note: other programs were using the CPU; latencies include waiting for it (server CPU ms per "
              "request is less affected)")
    print("HTTP, sequential, one connection per request, connect to last byte; server CPU = gunicorn's CPU time "
          "per request:")
    print(f"{'file':<36} {'requests':>8} {'status':>7} {'bytes':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'srv CPU ms':>10}")
    for name, run in runs.items():
        status = "/".join(str(s) for s in sorted(run.statuses))
        print(f"{name:<36} {len(run.latencies):>8} {status:>7} {int(statistics.median(run.sizes)):>8} "
              f"{run.ms(0.50):>8.1f} {run.ms(0.90):>8.1f} {run.ms(0.99):>8.1f} {1000 * max(run.latencies):>8.1f} "
              f"{1000 * run.server_cpu / max(len(run.latencies), 1):>10.1f}")
    print()
    print("In-process Site.load(...).render(path), no HTTP, median of 5 (CPU = this process only; SQL ms = time "
          "in cursor.execute, not fetching):")
    print(f"{'file':<36} {'ms':>8} {'CPU ms':>8} {'SQL stmts':>10} {'SQL ms':>8}")
    for path, ms, cpu_ms, statements, sql_ms in rendered:
        print(f"{path:<36} {ms:>8.1f} {cpu_ms:>8.1f} {statements:>10.0f} {sql_ms:>8.1f}")
    print()
    summary = runs[SUMMARY]
    p50, p99 = summary.ms(0.50), summary.ms(0.99)
    met = p99 < TARGET_MS
    print(f"summary.json p50 {p50:.1f} ms ({'under' if p50 < TARGET_MS else 'NOT under'} {TARGET_MS:.0f} ms), "
          f"p99 {p99:.1f} ms ({'under' if met else 'NOT under'} {TARGET_MS:.0f} ms)")
    print(f"target (issue 8) summary.json < {TARGET_MS:.0f} ms at p99: {'met' if met else 'NOT met'}")
    if "index.html" in runs:
        index = runs["index.html"].ms(0.50)
        print(f"target (issue 15) index.html < {INDEX_TARGET_MS:.0f} ms at p50: "
              f"{'met' if index < INDEX_TARGET_MS else 'NOT met'} ({index:.1f} ms; the in-process render above is "
              "what a request pays once per page version and minute)")
    for problem in problems:
        print(f"check failed: {problem}")
    if not problems:
        print("checks: all answers as expected (200, 304 with If-None-Match; active incidents, components, "
              "50 recent incidents listed)")
    return 0 if met and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
