"""The worker's warm work horse (worker.horse, issue 15): one horse runs job after job, and RQ's fork-per-job
guarantees hold: a horse killed mid-job (kill -9) has its job run again, a job past its timeout is cut off
and run again, a job that raised is not, and a horse that ran a job that did not end well is not reused.

The jobs below run in the horse, a fork of this test process; they report through Redis."""
from __future__ import annotations

import os
import signal
import time

from rq import get_current_job
from rq.job import JobStatus
from rq.registry import FailedJobRegistry

from worker.horse import WarmHorseWorker
from worker.queue import DELIVERIES, deliveries_queue, deliveries_worker

HERE = __name__


def _attempt() -> int:
    """This job's attempt number (1, 2, ...), with the horse's pid kept in the order of the attempts."""
    job = get_current_job()
    job.connection.rpush(f"test:pids:{job.id}", os.getpid())
    return int(job.connection.incr(f"test:attempts:{job.id}"))


def horse_pid() -> int:
    _attempt()
    return os.getpid()


def killed_the_first_time() -> str:
    if _attempt() == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # the horse dies mid-job, as with kill -9 or out of memory
    return "done"


def stuck_the_first_time() -> str:
    if _attempt() == 1:
        time.sleep(60)  # far past the job's timeout of 1 s: only the timeout ends this attempt
    return "done"


def outlives_two_heartbeats() -> int:
    _attempt()
    time.sleep(2.5)  # the worker below checks on its horse every second
    return os.getpid()


def raises() -> str:
    _attempt()
    raise ValueError("a bug")


def run_worker(redis_conn, **options) -> None:
    deliveries_worker(redis_conn, **options).work(burst=True, with_scheduler=True, logging_level="WARNING")


def pids(redis_conn, job) -> list[int]:
    return [int(pid) for pid in redis_conn.lrange(f"test:pids:{job.id}", 0, -1)]


def test_one_warm_horse_runs_job_after_job(redis_conn):
    queue = deliveries_queue(redis_conn)
    jobs = [queue.enqueue(f"{HERE}.horse_pid") for _ in range(3)]
    run_worker(redis_conn)

    ran_in = {job.return_value(refresh=True) for job in jobs}
    assert len(ran_in) == 1 and None not in ran_in
    assert ran_in != {os.getpid()}  # a horse, not the worker itself


def test_the_worker_keeps_its_heartbeats_while_the_warm_horse_works(redis_conn):
    """The worker's wait for the horse's answer is cut by its heartbeat alarm and taken up again."""
    beats = []

    class Counted(WarmHorseWorker):
        def maintain_heartbeats(self, job, execution):
            beats.append(job.id)
            super().maintain_heartbeats(job, execution)

    queue = deliveries_queue(redis_conn)
    long, after = queue.enqueue(f"{HERE}.outlives_two_heartbeats"), queue.enqueue(f"{HERE}.horse_pid")
    run_worker(redis_conn, worker_class=Counted, job_monitoring_interval=1)

    assert long.get_status(refresh=True) == JobStatus.FINISHED
    assert int(redis_conn.get(f"test:attempts:{long.id}")) == 1  # not taken for dead
    assert after.return_value(refresh=True) == long.return_value()  # the same horse, still warm
    assert beats.count(long.id) >= 2


def test_a_horse_killed_mid_job_has_the_job_run_again_by_a_new_horse(redis_conn):
    queue = deliveries_queue(redis_conn)
    killed = queue.enqueue(f"{HERE}.killed_the_first_time")
    after = queue.enqueue(f"{HERE}.horse_pid")
    run_worker(redis_conn)

    assert killed.get_status(refresh=True) == JobStatus.FINISHED
    assert killed.return_value() == "done"
    first, second = pids(redis_conn, killed)
    assert first != second
    assert after.return_value(refresh=True) == second  # the job after it ran too, in the new horse
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


def test_a_job_past_its_timeout_is_cut_off_and_runs_again_in_a_new_horse(redis_conn):
    stuck = deliveries_queue(redis_conn).enqueue(f"{HERE}.stuck_the_first_time", job_timeout=1)
    run_worker(redis_conn)

    assert stuck.get_status(refresh=True) == JobStatus.FINISHED
    assert stuck.return_value() == "done"
    first, second = pids(redis_conn, stuck)
    assert first != second  # the horse that was cut off mid-job is not reused


def test_a_job_that_raised_is_not_run_again_and_its_horse_is_not_reused(redis_conn):
    queue = deliveries_queue(redis_conn)
    failed = queue.enqueue(f"{HERE}.raises")
    after = queue.enqueue(f"{HERE}.horse_pid")
    run_worker(redis_conn)

    assert failed.get_status(refresh=True) == JobStatus.FAILED
    assert int(redis_conn.get(f"test:attempts:{failed.id}")) == 1
    assert FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids() == [failed.id]
    assert after.return_value(refresh=True) not in pids(redis_conn, failed)


def test_the_worker_leaves_no_horse_behind_when_it_stops(redis_conn):
    queue = deliveries_queue(redis_conn)
    job = queue.enqueue(f"{HERE}.horse_pid")
    run_worker(redis_conn)

    horse = job.return_value(refresh=True)
    assert isinstance(horse, int)
    try:
        os.kill(horse, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"the horse {horse} still runs after its worker stopped")


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (reaped by whoever adopted it, if anyone does)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_horse_whose_worker_was_killed_exits(redis_conn, settings):
    """kill -9 of the worker alone: its idle horse sees it gone and exits instead of lingering."""
    import subprocess
    import sys

    job = deliveries_queue(redis_conn).enqueue(f"{HERE}.horse_pid")
    worker = subprocess.Popen([sys.executable, "-m", "incident_desk.cli", "worker"], env=dict(os.environ),
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60  # bounds, not timings
        while job.get_status(refresh=True) != JobStatus.FINISHED and time.monotonic() < deadline:
            time.sleep(0.1)
        horse = job.return_value()
        assert isinstance(horse, int) and not _gone(horse)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its scheduler; the horse has its own group
        worker.wait(10)
    deadline = time.monotonic() + 30
    while not _gone(horse) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(horse)
