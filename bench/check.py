"""Time to parse and check incident documents of 1 KB, 100 KB and 1 MB (median of several runs).

Two figures per size: in-process (parse_document + run_checks, with the skeleton as the command passes
it) and the whole command as a user runs it (`python -m incident_desk.cli check FILE`, a new process
each time, so start-up and imports count).

With `--before DIR` (another checkout, e.g. `git worktree add /tmp/before <commit>`) the whole command is
also timed from that checkout, the two alternating run by run, so both figures come from the same minutes.

Run: python bench/check.py [--runs N] [--in-process-only] [--before DIR]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks import run_checks  # noqa: E402
from incidents.document import parse_document  # noqa: E402
from incidents.profiles import PROFILES  # noqa: E402
from issue_templates.render import postmortem_skeleton  # noqa: E402

SIZES = {"1 KB": 1024, "100 KB": 100 * 1024, "1 MB": 1024 * 1024}
PROFILE = PROFILES["timeline-rca-actions"]

HEAD = """## Timeline

**June 25, 2021:**

"""
MIDDLE = """
## Root cause analysis

The pool settings in !212 capped connections per worker at 2.

1. Why did the API fail? Requests timed out waiting for a connection.
2. Why? Each worker could open only 2 connections.
3. Why? The value was copied from staging.

Root cause: production pool limits were taken from staging without a load test.

## Actions

"""


def build(size: int) -> str:
    """A realistic postmortem of about `size` bytes: half timeline entries, half action items."""
    timeline, actions, n = [], [], 0
    while len(HEAD) + len(MIDDLE) + sum(map(len, timeline)) + sum(map(len, actions)) < size:
        hour, minute = divmod(n % 1440, 60)
        timeline.append(f"- {hour:02d}:{minute:02d} - [detected] Error rate for shard {n} above 5 % (!{n})\n")
        actions.append(f"- [ ] Add a pool-saturation alert for shard {n} @owner{n % 50} due 2026-12-01 group/api#{n}\n")
        n += 1
    return (HEAD + "".join(timeline) + MIDDLE + "".join(actions))[:size]


def measure(text: str, runs: int) -> float:
    """Median seconds of parse + check in this process."""
    skeleton = postmortem_skeleton(PROFILE)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run_checks(parse_document(text, PROFILE, "UTC", skeleton=skeleton), PROFILE)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_command(text: str, runs: int, trees: dict[str, Path]) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of `incident-desk check FILE` as a new process, per checkout (exit 1: findings).

    The CPU time (user + system of the child) is the steadier figure on a loaded machine. With several
    checkouts the runs alternate between them, so load falls on each alike.
    """
    # As an installed command runs: its modules' bytecode cached (a session that sets PYTHONDONTWRITEBYTECODE
    # would otherwise compile every module of the project on every run); the first run, not counted, writes it.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    times: dict[str, list[float]] = {name: [] for name in trees}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "postmortem.md"
        path.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "incident_desk.cli", "check", "--timezone", "UTC", str(path)]
        for root in trees.values():
            subprocess.run(command, env=dict(env, PYTHONPATH=str(root)), cwd=root, capture_output=True, check=False)
        for _ in range(runs):
            for name, root in trees.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(command, env=dict(env, PYTHONPATH=str(root)), cwd=root,
                                      capture_output=True, check=False)
                times[name].append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                if done.returncode not in (0, 1):
                    raise SystemExit(done.stderr.decode())
    return {name: (statistics.median(times[name]), statistics.median(cpu[name])) for name in trees}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--in-process-only", action="store_true", help="Skip the whole-command timing.")
    parser.add_argument("--before", help="another checkout whose command is timed too, alternating")
    args = parser.parse_args()
    trees = {"": ROOT} if not args.before else {"before": Path(args.before).resolve(), "after": ROOT}
    print(f"{'size':>8}  {'lines':>7}  {'in-process':>10}  {'command':>10}  {'its CPU':>10}"
          f"  (median of {args.runs} runs; load {os.getloadavg()[0]:.1f})")
    for label, size in SIZES.items():
        text = build(size)
        seconds = measure(text, args.runs)
        print(f"{label:>8}  {text.count(chr(10)) + 1:>7}  {seconds * 1000:>7.1f} ms", end="")
        if args.in_process_only:
            print()
            continue
        for index, (name, (wall, cpu)) in enumerate(measure_command(text, args.runs, trees).items()):
            lead = "  " if index == 0 else " " * 31
            print(f"{lead}{wall * 1000:>7.0f} ms  {cpu * 1000:>7.0f} ms  {name}".rstrip())


if __name__ == "__main__":
    main()
