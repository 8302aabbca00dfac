"""Latency benchmark of the bot: how long a person waits for its reply, and what each command costs in API calls.

One long-running `incident-desk worker` (a subprocess, the real command) works against an embedded Redis, a
temporary SQLite database and the stateful fake GitHub of tests/fakes/github.py served over HTTP on
127.0.0.1, which answers every call after --latency-ms (default 20). Webhooks are posted with real
signatures to the real Flask receiver (in-process test client), built from tests/fixtures/github/.

One after the other, on a fresh repository per repeat: a declaration (the issue labeled `incident`), then
comments with /severity, /status with a message, /timeline, /commander, /action with a follow-up issue in
another repository, and /status resolved; then, on a second incident, five commands in one comment and a
plain comment with no command. For each: the time from the webhook post until the reply is visible on the
fake forge (for the declaration, the summary comment), until the bot's last write, and the API calls
made (all, and writes). Then how many deliveries a second the worker drains when none needs work
(plain comments on an issue that is not an incident).

    .venv/bin/python bench/latency.py [--latency-ms 20] [--repeat 3] [--drain 60] [--platform github]
                                      [--pause 3] [--write-interval S] [--show-calls]

--pause is the time between one step's end and the next post: a person reading the reply and typing
the next command (default 3 s, which is quick). The write budget refills one write a second and holds 15,
so with --pause 0 (the sequence back to back, about 6 writes a second) it runs dry after a few commands
and the writes are paced at one a second, as GitHub asks: that figure is the budget's, not the bot's.

Targets: issue 15. Only GitHub is measured (GitLab's fake is not served over HTTP here yet).
The product's write throttle (INCIDENT_DESK_GITHUB_WRITE_INTERVAL, default 1 s) is left at its default.
Exit status 0 when every target is met, 1 otherwise.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `python bench/latency.py` works from any directory

from bench._latency_forge import SECRET, Call, ForgeServer, WorkerProcess, worker_env  # noqa: E402
from incidents.summary import BOT_MARKER, SUMMARY_MARKER  # noqa: E402
from tests.support import post_github  # noqa: E402
from worker.embedded_redis import EmbeddedRedis  # noqa: E402
from worker.queue import JOBS_METRIC, connection  # noqa: E402

ALICE, BOB, CAROL = "alice", "bob", "carol"
PERMISSIONS = {ALICE: "maintain", BOB: "write", CAROL: "write"}
STEP_TIMEOUT = 120.0
FIVE = ("/severity major-outage\n/status monitoring A fix is deployed\n/timeline 14:20 Fix deployed\n"
        f"/commander @{BOB}\n/action Write the failover runbook @{BOB}")  # bob: permission cached
COMMANDS = ("/severity", "/status identified", "/timeline", "/commander", "/action + follow-up", "/status resolved")


def sequence_comments(follow_ups: str) -> list[tuple[str, str, int]]:
    """(step name, comment, commands in it) of the one-after-the-other sequence."""
    return [
        ("/severity", "/severity partial-outage", 1),
        ("/status identified", "/status identified The primary database is failing over", 1),
        ("/timeline", "/timeline 14:05 First 500s on the API", 1),
        ("/commander", f"/commander @{BOB}", 1),
        ("/action + follow-up", f"/action Alert on the 5xx rate @{BOB} in {follow_ups}", 1),
        ("/status resolved", "/status resolved Failover complete, the errors are gone", 1),
    ]


@dataclass
class Step:
    """What one delivery cost: seconds from the post to the reply visible, to the last write and to the
    job's end (None: no such write), the calls made and the reply's text."""

    name: str
    reply: float | None
    last_write: float | None
    done: float
    calls: list[Call]
    reply_text: str = ""
    started: float = 0.0  # perf_counter at the post
    ok: bool = True

    @property
    def writes(self) -> int:
        return sum(call.write for call in self.calls)


class Bench:
    """The receiver, the fake forge and the worker's Redis, and one delivery at a time measured."""

    def __init__(self, forge: ForgeServer, conn, client, pause: float = 0.0):
        self.forge, self.conn, self.client, self.pause = forge, conn, client, pause
        self.github = forge.github

    def jobs_done(self) -> int:
        """Jobs the worker has finished (every delivery job counts itself at its end, whatever its outcome)."""
        return sum(int(n) for n in self.conn.hvals(JOBS_METRIC))

    def wait_for_jobs(self, count: int) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while self.jobs_done() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not finish within {STEP_TIMEOUT:.0f} s")
            time.sleep(0.002)

    def post(self, event: str, payload: dict) -> None:
        answer = post_github(self.client, event, payload, secret=SECRET)
        if answer.status_code != 202 or answer.get_json()["outcome"] != "queued":
            raise RuntimeError(f"the receiver answered {answer.status_code} {answer.get_data(as_text=True)}")

    def step(self, name: str, event: str, payload: dict, reply_marker: str | None) -> Step:
        """After the pause, post one delivery, wait for its job to end, and read what the fake saw meanwhile."""
        time.sleep(self.pause)
        mark, before = len(self.forge.calls), self.jobs_done()
        started = time.perf_counter()
        self.post(event, payload)
        self.wait_for_jobs(before + 1)
        done = time.perf_counter() - started
        calls = self.forge.calls[mark:]
        replies = [c for c in calls if reply_marker and c.method == "POST" and c.path.endswith("/comments")
                   and str((c.body or {}).get("body", "")).startswith(reply_marker)]
        writes = [c for c in calls if c.write]
        return Step(name, replies[0].done - started if replies else None,
                    writes[-1].done - started if writes else None, done, calls,
                    replies[0].body["body"] if replies else "", started)

    def declare(self, repo: str, number: int, name: str = "declaration") -> Step:
        """A new issue labeled `incident`: the time until its summary comment is visible."""
        self.github.add_issue(repo, number, "API errors", "The API answers 500 to one request in ten.",
                              labels=["incident"], author=ALICE)
        payload = self.github.issues_event(repo, number, "labeled", ALICE, label={"name": "incident"})
        step = self.step(name, "issues", payload, SUMMARY_MARKER)
        step.ok = step.reply is not None
        return step

    def command(self, repo: str, number: int, name: str, text: str, commands: int) -> Step:
        """A comment with `commands` commands: the time until the bot's reply is visible, all succeeded."""
        step = self.step(name, "issue_comment", self.github.comment_event(repo, number, ALICE, text),
                         BOT_MARKER if commands else None)
        step.ok = step.reply_text.count("✅") == commands if commands else not step.reply_text
        return step


def one_repeat(bench: Bench, k: int) -> list[Step]:
    """The sequence on one incident, then five commands and a plain comment on a second one."""
    repo, follow_ups = f"bench/incidents-{k}", f"bench/follow-ups-{k}"
    steps = [bench.declare(repo, 1)]
    steps += [bench.command(repo, 1, name, text, n) for name, text, n in sequence_comments(follow_ups)]
    steps.append(bench.declare(repo, 2, "declaration (2nd)"))
    steps.append(bench.command(repo, 2, "five commands, one comment", FIVE, 5))
    steps.append(bench.command(repo, 2, "plain comment", "Errors are down to zero here too, thanks.", 0))
    return steps


def drain(bench: Bench, count: int) -> tuple[float, int]:
    """Deliveries a second the worker drains when none needs work, and the API calls they made.

    Plain comments on an issue that is not an incident; one first, unmeasured, reads the config."""
    repo = "bench/questions"
    bench.github.add_issue(repo, 1, "How do I rotate the key?", "Asking for a friend.", author=CAROL)
    bench.command(repo, 1, "warm-up", "Any idea?", 0)
    payloads = [bench.github.comment_event(repo, 1, CAROL, f"Still wondering ({n}).") for n in range(count)]
    mark, before = len(bench.forge.calls), bench.jobs_done()
    started = time.perf_counter()
    for payload in payloads:
        bench.post("issue_comment", payload)
    bench.wait_for_jobs(before + count)
    return count / (time.perf_counter() - started), len(bench.forge.calls) - mark


def run(args) -> tuple[list[list[Step]], float, int, dict[str, int]]:
    """Start the world, run the repeats and the drain, stop the world."""
    from incident_desk.settings import Settings
    from store import migrate
    from webhook_app import create_app

    with tempfile.TemporaryDirectory(prefix="incident-desk-latency-") as tmp:
        tmp = Path(tmp)
        embedded = forge = worker = None
        try:
            embedded = EmbeddedRedis(tmp, persist=False).start()
            database_url = f"sqlite:///{tmp / 'bench.db'}"
            migrate(database_url)
            forge = ForgeServer(args.latency_ms / 1000, PERMISSIONS)
            env = worker_env(embedded.url, database_url, forge.url, args.write_interval)
            conn = connection(embedded.url)
            worker = WorkerProcess(env, tmp / "worker.log", ROOT)  # named first: stopped even if it fails to start
            worker.start(conn)
            app = create_app({"SETTINGS": Settings.from_env(env), "TESTING": True})
            logging.getLogger("incident_desk").setLevel(logging.WARNING)  # no line per post on the terminal
            bench = Bench(forge, conn, app.test_client(), args.pause)
            repeats = []
            for k in range(args.repeat):
                print(f"repeat {k + 1} of {args.repeat} ...", flush=True)
                repeats.append(one_repeat(bench, k))
            print(f"draining {args.drain} plain comments ...", flush=True)
            rate, drain_calls = drain(bench, args.drain)
            outcomes = job_outcomes(conn, tmp / "worker.log")
        finally:
            for part in (worker, forge, embedded):
                if part:
                    part.stop()
    return repeats, rate, drain_calls, outcomes


def job_outcomes(conn, log_path: Path) -> dict[str, int]:
    """Jobs by outcome (processed, ignored, failed); a failure shows the worker log's end."""
    outcomes: dict[str, int] = {}
    for key, n in conn.hgetall(JOBS_METRIC).items():
        outcome = key.decode().rsplit("|", 1)[-1]
        outcomes[outcome] = outcomes.get(outcome, 0) + int(n)
    if outcomes.get("failed"):
        print(log_path.read_text(errors="replace")[-3000:])
    return outcomes


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------

def seconds(values: list[float | None]) -> tuple[str, str]:
    """p50 and max of the values, as text ('-' when there are none)."""
    present = [v for v in values if v is not None]
    if not present:
        return "-", "-"
    return f"{statistics.median(present):.2f}", f"{max(present):.2f}"


def spread(values: list[int]) -> str:
    """'7' when every repeat made the same count, else 'min-max'."""
    return str(values[0]) if min(values) == max(values) else f"{min(values)}-{max(values)}"


def print_table(repeats: list[list[Step]]) -> dict[str, list[Step]]:
    """One row per step, p50 and max over the repeats; returns the steps by name."""
    by_name: dict[str, list[Step]] = {}
    for steps in repeats:
        for step in steps:
            by_name.setdefault(step.name, []).append(step)
    print(f"\n{'step':<28} {'reply p50':>9} {'max':>6} {'last write p50':>14} {'max':>6} {'job p50':>8} "
          f"{'calls':>6} {'writes':>6}  ok")
    for name, steps in by_name.items():
        reply, last = seconds([s.reply for s in steps]), seconds([s.last_write for s in steps])
        job = seconds([s.done for s in steps])[0]
        ok = "yes" if all(s.ok for s in steps) else "NO"
        print(f"{name:<28} {reply[0]:>9} {reply[1]:>6} {last[0]:>14} {last[1]:>6} {job:>8} "
              f"{spread([len(s.calls) for s in steps]):>6} {spread([s.writes for s in steps]):>6}  {ok}")
    return by_name


def print_calls(steps: list[Step]) -> None:
    """Every call of each step (of the last repeat), with its time after the post."""
    for step in steps:
        print(f"\n{step.name}: {len(step.calls)} calls, {step.writes} writes")
        for call in step.calls:
            print(f"  +{call.done - step.started:6.3f}s  {call}")


def targets(by_name: dict[str, list[Step]], rate: float, drain_calls: int, drained: int) -> list[tuple]:
    """(what, measured, target, met) for each of issue 15's targets this bench covers."""
    replies = [s.reply for name in COMMANDS for s in by_name[name] if s.reply is not None]
    p50, top = statistics.median(replies), max(replies)
    declaration = [s.reply or float("inf") for s in by_name["declaration"]]
    most = {name: max(len(s.calls) for s in by_name[name]) for name in by_name}
    status_writes = max(s.writes for s in by_name["/status identified"])
    five = by_name["five commands, one comment"]
    five_s = statistics.median(s.last_write or s.done for s in five)
    plain = max(len(s.calls) for s in by_name["plain comment"])
    return [
        ("command -> reply visible, p50 / max", f"{p50:.2f} s / {top:.2f} s", "< 1.0 s / 2.0 s",
         p50 < 1.0 and top < 2.0),
        ("declaration -> summary comment (max)", f"{max(declaration):.2f} s", "< 1.5 s", max(declaration) < 1.5),
        ("API calls for /status <message>", f"{most['/status identified']} ({status_writes} writes)",
         "<= 6 (3 writes)", most["/status identified"] <= 6 and status_writes <= 3),
        ("API calls for /severity, /commander", f"{most['/severity']}, {most['/commander']}", "<= 4",
         most["/severity"] <= 4 and most["/commander"] <= 4),
        ("API calls for a plain comment", str(plain), "0", plain == 0),
        ("five commands in one comment", f"{most['five commands, one comment']} calls, {five_s:.2f} s",
         "<= 12 calls, < 3 s", most["five commands, one comment"] <= 12 and five_s < 3.0),
        ("deliveries drained a second, no work", f"{rate:.1f}/s ({drain_calls / drained:.1f} calls each)",
         ">= 50/s", rate >= 50),
    ]


def report(args, repeats: list[list[Step]], rate: float, drain_calls: int, outcomes: dict[str, int]) -> int:
    print(f"\nfake GitHub latency {args.latency_ms:g} ms per call; {args.pause:g} s between steps; write interval "
          f"{'default' if args.write_interval is None else f'{args.write_interval:g} s'}; {args.repeat} repeat(s); "
          f"{os.cpu_count()} CPUs; load average {args.load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("reply = post -> the reply comment is on the forge (declaration: the summary comment); "
          "last write = post -> the bot's last write; job = post -> the job's end")
    by_name = print_table(repeats)
    if args.show_calls:
        print_calls(repeats[-1])
    print()
    met_all = True
    for what, measured, target, met in targets(by_name, rate, drain_calls, args.drain):
        met_all &= met
        print(f"{what:<40} {measured:<28} (target {target}: {'met' if met else 'NOT met'})")
    print("jobs: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())))
    if outcomes.get("failed"):
        met_all = False
    if not all(s.ok for steps in repeats for s in steps):
        print("note: some step did not do what it should (see the ok column); its figures are suspect")
        met_all = False
    return 0 if met_all else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=20.0, help="fake forge latency per call (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="run the sequence this many times (default 3)")
    parser.add_argument("--drain", type=int, default=60, help="plain comments for the drain rate (default 60)")
    parser.add_argument("--platform", choices=["github"], default="github",
                        help="only github: GitLab's fake is not served over HTTP by this bench yet")
    parser.add_argument("--pause", type=float, default=3.0,
                        help="seconds between a step's end and the next post (default 3)")
    parser.add_argument("--write-interval", type=float, default=None,
                        help="INCIDENT_DESK_GITHUB_WRITE_INTERVAL for the worker (default: the product's, 1 s)")
    parser.add_argument("--show-calls", action="store_true", help="list every API call of the last repeat")
    args = parser.parse_args(argv)
    if args.latency_ms < 0 or args.repeat < 1 or args.drain < 1 or args.pause < 0:
        parser.error("--latency-ms and --pause must be at least 0, --repeat and --drain at least 1")
    args.load_before = os.getloadavg()[0]  # other programs on the machine slow every job's start-up
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds through run()'s finally
    return report(args, *run(args))


if __name__ == "__main__":
    sys.exit(main())
