"""Time to parse and check incident documents of 1 KB, 100 KB and 1 MB (median of several runs).

Run: python bench/check.py [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks import run_checks  # noqa: E402
from incidents.document import parse_document  # noqa: E402
from incidents.profiles import PROFILES  # noqa: E402

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
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run_checks(parse_document(text, PROFILE, "UTC"), PROFILE)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{'size':>8}  {'lines':>7}  {'median':>10}  ({args.runs} runs, parse + check)")
    for label, size in SIZES.items():
        text = build(size)
        seconds = measure(text, args.runs if size < 1024 * 1024 else max(3, args.runs // 2))
        print(f"{label:>8}  {text.count(chr(10)) + 1:>7}  {seconds * 1000:>8.1f} ms")


if __name__ == "__main__":
    main()
