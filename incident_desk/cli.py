"""The `incident-desk` command."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import click
import requests

from incident_desk.settings import Settings


@click.group()
def cli():
    """Incident Desk: run the incident process in GitHub and GitLab issues."""


def _database_url(settings: Settings) -> str:
    """SQLite paths made absolute, so every child process opens the same file."""
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    return url


def masked(url: str) -> str:
    """The URL with its password shown as ***, for printing: a terminal or a CI log is no place for it."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can read: nothing of it is shown
        return "(a URL that could not be read)"


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--web-workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(host, port, web_workers):
    """Everything on one machine: web app, worker with scheduler, embedded Redis, SQLite."""
    from incident_desk.runtime import ensure_redis
    from store import migrate

    settings = Settings.from_env()
    redis_url, embedded = ensure_redis(settings.redis_url)
    env = dict(os.environ, REDIS_URL=redis_url, DATABASE_URL=_database_url(settings))
    migrate(env["DATABASE_URL"])
    public = settings.public_url if os.environ.get("PUBLIC_URL") else f"http://localhost:{port}"
    click.echo(f"Incident Desk on http://{host}:{port}  (Redis {masked(redis_url)}, "
               f"database {masked(env['DATABASE_URL'])})")
    click.echo(f"  GitHub webhook URL: {public}/webhooks/github")
    click.echo(f"  GitLab webhook URL: {public}/webhooks/gitlab")
    click.echo(f"  Health: {public}/healthz   Metrics: {public}/metrics")
    for name, value in (("GITHUB_WEBHOOK_SECRET", settings.github_webhook_secret),
                        ("GITLAB_WEBHOOK_SECRET", settings.gitlab_webhook_secret)):
        if not value:
            click.echo(f"  note: {name} is not set, so that platform's webhooks are refused with 401", err=True)
    me = [sys.executable, "-m", "incident_desk.cli"]
    children = [
        subprocess.Popen([*me, "web", "--host", host, "--port", str(port), "--workers", str(web_workers)], env=env),
        subprocess.Popen([*me, "worker"], env=env),
    ]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)
        if embedded:
            embedded.stop()


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def web(host, port, workers):
    """The webhook receiver, health, metrics and status page, under gunicorn."""
    from incident_desk.runtime import GunicornApp, ensure_redis
    from store import migrate

    settings = Settings.from_env()
    redis_url, embedded = ensure_redis(settings.redis_url)
    os.environ.update(REDIS_URL=redis_url, DATABASE_URL=_database_url(settings))
    migrate(os.environ["DATABASE_URL"])
    from webhook_app import create_app

    try:
        GunicornApp(create_app, {"bind": f"{host}:{port}", "workers": workers, "accesslog": None,
                                 "timeout": 30, "graceful_timeout": 10}).run()
    finally:
        if embedded:
            embedded.stop()


@cli.command()
@click.option("--burst", is_flag=True, help="Work until the queue is empty (due scheduled jobs included), then exit.")
@click.option("--maintenance-interval", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds between looks for jobs whose worker died; they are run again.")
@click.option("--heartbeat", default=30, show_default=True, type=click.IntRange(1, 600),
              help="Seconds between a running job's heartbeats; one silent 60 s past its heartbeat is taken "
                   "as abandoned.")
def worker(burst, maintenance_interval, heartbeat):
    """An RQ worker for the deliveries queue, with the scheduler for retries and reminders."""
    from incident_desk.logs import configure
    from incident_desk.runtime import ensure_redis
    from store import migrate
    from worker.queue import connection, deliveries_worker

    settings = Settings.from_env()
    redis_url, embedded = ensure_redis(settings.redis_url)
    os.environ.update(REDIS_URL=redis_url, DATABASE_URL=_database_url(settings))
    migrate(os.environ["DATABASE_URL"])
    configure()
    try:
        deliveries_worker(connection(redis_url), maintenance_interval=maintenance_interval,
                          job_monitoring_interval=heartbeat).work(
            burst=burst, with_scheduler=True, logging_level="WARNING")
    finally:
        if embedded:
            embedded.stop()


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", "event_name", required=True, help="X-GitHub-Event / X-Gitlab-Event value, e.g. issues.")
@click.option("--platform", type=click.Choice(["github", "gitlab"]), default="github", show_default=True)
@click.option("--url", help="Webhook URL (default: PUBLIC_URL/webhooks/<platform>).")
@click.option("--delivery-id", help="Delivery id to send (default: a new UUID).")
def replay(file, event_name, platform, url, delivery_id):
    """Sign and send a payload file to a running server, to try the app without a forge."""
    from webhook_app.signatures import github_signature

    settings = Settings.from_env()
    body = file.read_bytes()
    try:
        json.loads(body)
    except ValueError as exc:
        raise click.BadParameter(f"{file} is not JSON ({exc})", param_hint="FILE") from exc
    delivery_id = delivery_id or str(uuid.uuid4())
    url = url or f"{settings.public_url}/webhooks/{platform}"
    if platform == "github":
        if not settings.github_webhook_secret:
            raise click.UsageError("GITHUB_WEBHOOK_SECRET is not set; it is needed to sign the payload")
        headers = {"X-GitHub-Event": event_name, "X-GitHub-Delivery": delivery_id,
                   "X-Hub-Signature-256": github_signature(settings.github_webhook_secret, body)}
    else:
        if not settings.gitlab_webhook_secret:
            raise click.UsageError("GITLAB_WEBHOOK_SECRET is not set; it is sent as X-Gitlab-Token")
        headers = {"X-Gitlab-Event": event_name, "X-Gitlab-Event-UUID": delivery_id,
                   "X-Gitlab-Token": settings.gitlab_webhook_secret}
    headers["Content-Type"] = "application/json"
    try:
        response = requests.post(url, data=body, headers=headers, timeout=15)
    except requests.RequestException as exc:
        click.echo(f"incident-desk: could not reach {url}: {exc.__class__.__name__}", err=True)
        sys.exit(1)
    click.echo(f"{response.status_code} {response.text.strip()}")
    sys.exit(0 if response.status_code < 400 else 1)


from incident_desk.doc_commands import check, install_templates  # noqa: E402
from incident_desk.status_commands import status  # noqa: E402
from incident_desk.tracking import export, report, sync  # noqa: E402

for command in (check, install_templates, export, report, sync, status):
    cli.add_command(command)


def main() -> None:
    """Entry point: usage errors are one line on stderr and exit 2."""
    try:
        cli.main(standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"incident-desk: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)


if __name__ == "__main__":
    main()
