"""Time `incident-desk export` and `report` on a store of 10,000 incidents (issues 6 and 15).

Seeds a fresh SQLite database (or DATABASE_URL) in bulk, then times the commands as a user runs them
(a new process each, so start-up counts) and the table building in-process. Prints a table of medians:
wall-clock seconds and the command's CPU seconds (user + system, less sensitive to a busy machine).

With `--before DIR` (another checkout, e.g. `git worktree add /tmp/before main`) each command also runs
from DIR, alternating with this tree round by round, so both are measured under the same load.

Targets (issue 15): export and report under 1.0 s, report --plot under 2.0 s, as whole commands.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
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


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(args: list[str], env: dict) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one whole command."""
    cpu, started = child_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "incident_desk.cli", *args], env=env, cwd=env["PYTHONPATH"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # -m imports from the cwd
    if done.returncode:
        raise SystemExit(f"incident-desk {' '.join(args)} failed in {env['PYTHONPATH']}:\n{done.stderr}")
    return time.perf_counter() - started, child_cpu() - cpu


def commands(directory: str) -> list[tuple[str, list[str]]]:
    return [("export --format csv", ["export"]), ("export --format json", ["export", "--format", "json"]),
            ("report --by month", ["report", "--by", "month"]),
            ("report --by taxonomy --plot", ["report", "--by", "taxonomy", "--plot", f"{directory}/p.png"])]


def before_tree(before: Path, url: str, directory: str, env: dict) -> dict:
    """The environment to run the other checkout: a copy of the SQLite database whose recorded revision is
    that checkout's newest (a newer migration only adds what the older code does not read)."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text

    if not url.startswith("sqlite:///"):
        raise SystemExit("--before needs the default SQLite database")
    copy = f"{directory}/before.db"
    shutil.copy(url[len("sqlite:///"):], copy)
    head = ScriptDirectory(str(before / "store" / "migrations")).get_current_head()
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    engine.dispose()
    return dict(env, PYTHONPATH=str(before), DATABASE_URL=f"sqlite:///{copy}")


def compare(trees: dict[str, dict], runs: int, directory: str) -> None:
    """Each command from each tree, alternating round by round; medians of wall-clock and CPU seconds."""
    header = "".join(f" {name + ' s':>12} {name + ' CPU':>12}" for name in trees)
    print(f"{'incident-desk ...':32}{header}")
    for name, args in commands(directory):
        seen: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for _ in range(runs):
            for tree, env in trees.items():
                seen[tree].append(run_command(args, env))
        cells = "".join(f" {statistics.median(w for w, _ in seen[t]):12.2f}"
                        f" {statistics.median(c for _, c in seen[t]):12.2f}" for t in trees)
        print(f"{name:32}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="another checkout to time the same commands from, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{directory}/bench.db"
        migrate(url)
        store = Store(url)
        seed(store, args.incidents)
        env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
        print(f"{args.incidents} incidents, {args.runs} runs each, medians; load average {os.getloadavg()[0]:.2f}")
        rows = tracking_rows(store)
        assert len(rows) == args.incidents
        for name, work in (("tracking rows, in-process", lambda: tracking_rows(store)),
                           ("report rows by component, in-process", lambda: report_rows(rows, "component"))):
            print(f"{name:44} {timed(args.runs, work):8.2f} s")
        trees = {"this": env}
        if args.before:
            trees = {"before": before_tree(Path(args.before).resolve(), url, directory, env), "after": env}
        compare(trees, args.runs, directory)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
