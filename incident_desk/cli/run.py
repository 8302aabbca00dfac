"""`incident-desk serve`, `web` and `worker`: the long-running processes."""
from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
from datetime import timedelta

import click

from incident_desk.settings import Settings


def masked(url: str) -> str:
    """The URL with its password shown as ***, for printing: a terminal or a CI log is no place for it."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can read: nothing of it is shown
        return "(a URL that could not be read)"


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(host, port, web_workers):
    """Everything on one machine: web app, worker with scheduler, embedded Redis, SQLite."""
    from incident_desk.cli.runtime import redis_and_database

    settings = Settings.from_env()
    env = dict(os.environ)
    with redis_and_database(settings, env) as redis_url:
        _announce(settings, host, port, redis_url, env["DATABASE_URL"])
        me = [sys.executable, "-m", "incident_desk.cli"]
        _supervise([
            subprocess.Popen([*me, "web", "--host", host, "--port", str(port), "--workers", str(web_workers)],
                             env=env),
            subprocess.Popen([*me, "worker"], env=env),
        ])


def _announce(settings: Settings, host: str, port: int, redis_url: str, database_url: str) -> None:
    """Where the server listens and what to configure on the forges."""
    public = settings.public_url if settings.public_url != Settings.public_url else f"http://localhost:{port}"
    click.echo(f"Incident Desk on http://{host}:{port}  (Redis {masked(redis_url)}, "
               f"database {masked(database_url)})")
    click.echo(f"  GitHub webhook URL: {public}/webhooks/github")
    click.echo(f"  GitLab webhook URL: {public}/webhooks/gitlab")
    click.echo(f"  Health: {public}/healthz   Metrics: {public}/metrics")
    for name, value in (("GITHUB_WEBHOOK_SECRET", settings.github_webhook_secret),
                        ("GITLAB_WEBHOOK_SECRET", settings.gitlab_webhook_secret)):
        if not value:
            click.echo(f"  note: {name} is not set, so that platform's webhooks are refused with 401", err=True)


def _supervise(children: list[subprocess.Popen]) -> None:
    """Wait until a child exits or we are told to stop (SIGTERM, SIGINT); then stop them all."""

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                children[0].wait(timeout=1)
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def web(host, port, workers):
    """The webhook receiver, health, metrics and status page, under gunicorn."""
    from incident_desk.cli.runtime import GunicornApp, redis_and_database

    with redis_and_database(Settings.from_env(), os.environ):
        from webhook_app import create_app

        GunicornApp(create_app, {"bind": f"{host}:{port}", "workers": workers, "accesslog": None,
                                 "timeout": 30, "graceful_timeout": 10}).run()


JOB_MODULES = ("worker.jobs", "worker.blog", "worker.reminders", "worker.notify", "worker.chat_jobs",
               "worker.alert_jobs", "worker.maintenance_jobs", "worker.nudges",
               "worker.board", "worker.onboarding_jobs")


@click.command()
@click.option("--burst", is_flag=True, help="Work until the queue is empty (due scheduled jobs included), then exit.")
@click.option("--maintenance-interval", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds between looks for jobs whose worker died; they are run again.")
@click.option("--heartbeat", default=30, show_default=True, type=click.IntRange(1, 600),
              help="Seconds between a running job's heartbeats; one silent 60 s past its heartbeat is taken "
                   "as abandoned.")
def worker(burst, maintenance_interval, heartbeat):
    """An RQ worker for the deliveries queue, with the scheduler for retries and reminders."""
    from incident_desk.cli.runtime import redis_and_database
    from incident_desk.logs import configure
    from worker.queue import connection, deliveries_worker

    # The jobs' modules (handlers, forges, the store) are imported here, once, so the work horse forked from
    # this process starts with them; it then stays warm from job to job (worker.horse; issue 15: the drain).
    for module in JOB_MODULES:
        importlib.import_module(module)
    settings = Settings.from_env()
    _check_alert_routes(settings)
    with redis_and_database(settings, os.environ) as redis_url:
        configure()
        _rearm_reminders(os.environ["DATABASE_URL"], redis_url)
        _arm_maintenances(redis_url, settings)
        # RQ waits for a job up to worker_ttl - 15 s (405 s by default) and looks for dead jobs only between
        # waits: this worker_ttl makes an idle worker look every maintenance interval, as the option says.
        deliveries_worker(connection(redis_url), maintenance_interval=maintenance_interval,
                          job_monitoring_interval=heartbeat, worker_ttl=maintenance_interval + 15).work(
            burst=burst, with_scheduler=True, logging_level="WARNING")


def _rearm_reminders(database_url: str, redis_url: str) -> None:
    """Before working: every unresolved incident has its reminder, every closed incident's channel its archive,
    and the nudge sweep is armed, whatever Redis lost (issue 18)."""
    from worker.bootstrap import store_for
    from worker.chat_jobs import rearm_archives
    from worker.nudges import schedule_sweep
    from worker.queue import connection
    from worker.reminders import rearm_reminders

    conn = connection(redis_url)
    store = store_for(database_url)
    rearm_reminders(conn, store)
    rearm_archives(conn, store)
    schedule_sweep(conn, timedelta(minutes=1))


def _arm_maintenances(redis_url: str, settings: Settings) -> None:
    """Maintenance transitions whose jobs Redis lost are scheduled again from the database (issue 18)."""
    from worker.bootstrap import store_for
    from worker.maintenance_jobs import arm_maintenances
    from worker.queue import connection

    arm_maintenances(connection(redis_url), store_for(settings.database_url))


def _check_alert_routes(settings: Settings) -> None:
    """A route list the worker cannot read is said at start, not at the first alert (exit status 2)."""
    from incidents.alert_routes import parse_routes

    try:
        parse_routes(settings.alert_routes)
    except ValueError as exc:
        raise click.UsageError(f"INCIDENT_DESK_ALERT_ROUTES: {exc}") from exc
