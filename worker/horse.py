"""A forking RQ worker whose work horse is kept warm between jobs (issue 15: the no-work drain rate).

RQ's `Worker` forks a new horse for every job, and every horse starts cold: settings, store, SQLAlchemy's
compiled statements, the forge client, all built again (about 0.2 s, where a warm delivery with nothing to
do takes a few milliseconds). Here one horse runs job after job, told each job by a pipe and answering on
another when it is done. Everything else is RQ's own: the worker still monitors the horse with
`monitor_work_horse` (heartbeats every job_monitoring_interval, the horse killed past the job's timeout +
60 s), the horse still runs `perform_job` (the job's own timeout, by SIGALRM, in the horse), and a horse
that dies mid-job (kill -9, out of memory) is seen by the worker as RQ sees it: the job's pipe ends with
no answer, the horse is reaped, and the job goes through RQ's "work-horse terminated unexpectedly"
handling (retried with DeskJob's Retry). The next job gets a new horse.
"""
from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import time

from rq import Worker
from rq.executions import Execution
from rq.worker import SHUTDOWN_SIGNAL, logger

# A horse is retired after this many jobs, so whatever a job leaves in memory does not pile up forever.
JOBS_PER_HORSE = 1000
# The horse's answers, once the job's end is recorded (as RQ's horse records it): it goes on, or it ends.
# A job that raised or timed out may have been cut off anywhere (a connection mid-reply, a session
# mid-transaction); its horse goes, as a forked horse would, so the next job starts clean.
_DONE, _DONE_AND_GONE = b".", b"x"


class WarmHorseWorker(Worker):
    """RQ's forking worker, with one work horse that outlives its job (up to JOBS_PER_HORSE jobs)."""

    jobs_per_horse = JOBS_PER_HORSE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._warm_pid = 0  # the horse between jobs too (RQ's _horse_pid is 0 between jobs)
        self._to_horse: int | None = None
        self._from_horse: int | None = None
        self._horse_jobs = 0
        self._ended: tuple | None = None  # what wait_for_horse says of the job in hand, once known

    def fork_work_horse(self, job, queue):
        """Hand the job to the warm horse, forking one first if there is none (or it is spent or gone)."""
        os.environ["RQ_WORKER_ID"], os.environ["RQ_JOB_ID"] = self.name, job.id
        if self._warm_pid and (self._horse_jobs >= self.jobs_per_horse or not self._horse_alive()):
            self.retire_horse()
        message = json.dumps([job.id, queue.name, self.execution.id]).encode() + b"\n"
        if not self._warm_pid:
            self._fork_warm_horse()
        try:
            os.write(self._to_horse, message)  # type: ignore[arg-type]
        except BrokenPipeError:  # the horse died idle since the check: a new one
            self.retire_horse()
            self._fork_warm_horse()
            os.write(self._to_horse, message)  # type: ignore[arg-type]
        self._horse_jobs += 1
        self._horse_pid, self._ended = self._warm_pid, None
        self.procline(f"Job {job.id} to warm horse {self._warm_pid} at {time.time()}")

    def wait_for_horse(self):
        """Until the horse answers (job done, horse alive: exit status 0) or dies (its real status).

        The wait is interruptible: monitor_work_horse's alarm cuts it for heartbeats. The answer, once
        taken, is kept until the next job, so an alarm just after it cannot lose it (asked again, this
        says the same, as os.wait4 of a reaped horse would say nothing new)."""
        if self._from_horse is None and self._ended is None:  # no warm horse: RQ's wait, if any horse
            return super().wait_for_horse() if self._horse_pid else (None, None, None)
        while self._ended is None:
            select.select([self._from_horse], [], [])  # the answer, or the pipe's end when the horse dies
            with _alarm_deferred():
                self._ended = self._take_answer()
        return self._ended

    def _take_answer(self) -> tuple:
        answer = os.read(self._from_horse, 1)  # type: ignore[arg-type]
        if answer:
            pid = self._warm_pid
            if answer == _DONE_AND_GONE:
                self.retire_horse()
            return pid, os.EX_OK, None
        ended: tuple = (None, None, None)  # the pipe ended: the horse is gone, or going
        with contextlib.suppress(ChildProcessError):
            ended = os.wait4(self._warm_pid, 0)
        self._forget_horse()
        return ended

    def kill_horse(self, sig=SHUTDOWN_SIGNAL):
        """Kill the horse (RQ's cold shutdown, a stopped job, the timeout + 60 s), between jobs too."""
        self._horse_pid = self._horse_pid or self._warm_pid
        if self._horse_pid:
            super().kill_horse(sig)

    def teardown(self):
        super().teardown()
        if not self.is_horse:
            self.retire_horse()

    def retire_horse(self) -> None:
        """Close the horse's pipe and reap it: an idle horse exits at once. One still in a job (the worker's
        loop ended abnormally) is left to finish it, as RQ leaves a forked horse; it exits then."""
        if not self._warm_pid:
            return
        pid = self._warm_pid
        for fd in (self._to_horse, self._from_horse):
            with contextlib.suppress(OSError, TypeError):
                os.close(fd)  # type: ignore[arg-type]
        self._forget_horse()
        deadline = time.monotonic() + 1
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(pid, os.WNOHANG)[0] == 0 and time.monotonic() < deadline:
                time.sleep(0.005)

    def _horse_alive(self) -> bool:
        try:
            return os.waitpid(self._warm_pid, os.WNOHANG)[0] == 0
        except ChildProcessError:
            return False

    def _forget_horse(self) -> None:
        self._warm_pid = self._horse_jobs = 0
        self._to_horse = self._from_horse = None

    def _fork_warm_horse(self) -> None:
        jobs_read, jobs_write = os.pipe()
        done_read, done_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the horse: never returns
            os.close(jobs_write)
            os.close(done_read)
            os.setpgrp()
            run_horse(self, parent, jobs_read, done_write)
        os.close(jobs_read)
        os.close(done_write)
        self._warm_pid, self._to_horse, self._from_horse, self._horse_jobs = pid, jobs_write, done_read, 0


@contextlib.contextmanager
def _alarm_deferred():
    """The monitor's SIGALRM held off while the block runs, then raised as it would have been: a Python
    handler swap, since masking the signal in this thread does not stop another thread receiving it."""
    fired: list = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, previous)
    if fired and callable(previous):
        previous(*fired[0])


def run_horse(worker: WarmHorseWorker, parent: int, inbox: int, outbox: int) -> None:
    """The horse's loop: each job named on `inbox` is fetched and run by RQ's perform_job, then answered
    on `outbox`. Ends (os._exit) when the pipe closes, the worker is gone, a job failed, or something
    escapes RQ."""
    random.seed()
    worker.setup_work_horse_signals()
    worker._is_horse = True
    worker.log = logger
    jobs = os.fdopen(inbox, "rb")
    try:
        while (line := _next_job(jobs, parent)) is not None:
            job_id, queue_name, execution_id = json.loads(line)
            os.environ["RQ_JOB_ID"] = job_id
            job = worker.job_class.fetch(job_id, connection=worker.connection, serializer=worker.serializer)
            queue = worker.queue_class(queue_name, connection=worker.connection, job_class=worker.job_class,
                                       serializer=worker.serializer, death_penalty_class=worker.death_penalty_class)
            execution = Execution.fetch(execution_id, job.id, connection=worker.connection)
            execution._job = job
            worker.executions.clear()  # the horse's copy: only the job it runs now
            worker.execution = execution
            if not worker.perform_job(job, queue, execution):
                os.write(outbox, _DONE_AND_GONE)
                break
            os.write(outbox, _DONE)
    except BaseException:  # noqa: B036 - as RQ's horse: whatever escapes ends the horse, the worker sees it
        os._exit(1)
    os._exit(0)


def _next_job(jobs, parent: int) -> bytes | None:
    """The next job's line, or None once the worker closed the pipe or died (then nobody waits for us)."""
    while not select.select([jobs], [], [], 5)[0]:
        if os.getppid() != parent:
            return None
    return jobs.readline() or None
