"""Time `incident-desk export` and `report` on a store of 10,000 incidents (issue 6).

Seeds a fresh SQLite database (or DATABASE_URL) in bulk, then times the commands as a user runs them
(a new process each, so start-up counts) and the table building in-process. Prints a table.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from incident_desk.cli.tracking import report_rows, tracking_rows  # noqa: E402
from store import Store, migrate  # noqa: E402
from store.models import IncidentRow, LinkRow  # noqa: E402

COMPONENTS = ["api", "web", "db", "queue", "search", "mail"]
TERMS = ["MISSING_ALERT", "MISSING_TEST", "FAILED_MIGRATION", "THIRD_PARTY_ERROR", "INFRASTRUCTURE_ERROR"]


def seed(store: Store, count: int) -> None:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    incidents, links = [], []
    for n in range(1, count + 1):
        reported = start + timedelta(hours=rng.randint(0, 24 * 700))
        ttf = rng.randint(600, 86_400 * 3)
        ttd = rng.choice([None, rng.randint(60, 7200)])
        incidents.append(dict(
            id=n, platform="github", repository=f"acme/service-{n % 20}", number=n, title=f"Incident {n}",
            url=f"https://github.com/acme/service-{n % 20}/issues/{n}", status="resolved",
            severity=rng.choice(["major-outage", "partial-outage", "degraded-performance"]),
            components=rng.sample(COMPONENTS, rng.randint(1, 2)), commander=f"user{n % 50}",
            reported_at=reported, resolved_at=reported + timedelta(seconds=ttf), tracking=True,
            taxonomy=rng.choice(TERMS), open_actions=rng.randint(0, 3), ttd_seconds=ttd, ttf_seconds=float(ttf),
            ttr_seconds=float(ttf + ttd) if ttd else None, updated_at=reported, forced_close=False))
        links.append(dict(incident_id=n, repository=f"acme/service-{n % 20}", number=100_000 + n, role="fix",
                          source="text", url=f"https://github.com/acme/service-{n % 20}/pull/{100_000 + n}",
                          title="fix"))
    with store.engine.begin() as conn:
        conn.execute(insert(IncidentRow), incidents)
        conn.execute(insert(LinkRow), links)


def timed(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{directory}/bench.db"
        migrate(url)
        store = Store(url)
        seed(store, args.incidents)
        env = dict(os.environ, DATABASE_URL=url)
        cli = [sys.executable, "-m", "incident_desk.cli"]
        print(f"{args.incidents} incidents, {args.runs} runs each, median seconds")
        print(f"{'what':44} {'seconds':>8}")
        rows = tracking_rows(store)
        assert len(rows) == args.incidents
        for name, work in (
            ("tracking rows, in-process", lambda: tracking_rows(store)),
            ("report rows by component, in-process", lambda: report_rows(rows, "component")),
            ("incident-desk export --format csv", lambda: subprocess.run(
                [*cli, "export"], env=env, check=True, stdout=subprocess.DEVNULL)),
            ("incident-desk export --format json", lambda: subprocess.run(
                [*cli, "export", "--format", "json"], env=env, check=True, stdout=subprocess.DEVNULL)),
            ("incident-desk report --by month", lambda: subprocess.run(
                [*cli, "report", "--by", "month"], env=env, check=True, stdout=subprocess.DEVNULL)),
            ("incident-desk report --by taxonomy --plot", lambda: subprocess.run(
                [*cli, "report", "--by", "taxonomy", "--plot", f"{directory}/p.png"], env=env, check=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)),
        ):
            print(f"{name:44} {timed(args.runs, work):8.2f}")


if __name__ == "__main__":
    main()
