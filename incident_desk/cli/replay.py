"""`incident-desk replay`: sign and send a payload file, to try a running server without a forge."""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import click

from forges import PLATFORMS, forge_class
from incident_desk.settings import Settings


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", "event_name", required=True, help="X-GitHub-Event / X-Gitlab-Event value, e.g. issues.")
@click.option("--platform", type=click.Choice(PLATFORMS), default="github", show_default=True)
@click.option("--url", help="Webhook URL (default: PUBLIC_URL/webhooks/<platform>).")
@click.option("--delivery-id", help="Delivery id to send (default: a new UUID).")
def replay(file, event_name, platform, url, delivery_id):
    """Sign and send a payload file to a running server, to try the app without a forge."""
    settings = Settings.from_env()
    body = file.read_bytes()
    try:
        json.loads(body)
    except ValueError as exc:
        raise click.BadParameter(f"{file} is not JSON ({exc})", param_hint="FILE") from exc
    url = url or f"{settings.public_url}/webhooks/{platform}"
    headers = _headers(settings, platform, event_name, delivery_id or str(uuid.uuid4()), body)
    import requests  # here, not at the top: every other command (check above all) starts without it
    try:
        response = requests.post(url, data=body, headers=headers, timeout=15)
    except requests.RequestException as exc:
        click.echo(f"incident-desk: could not reach {url}: {exc.__class__.__name__}", err=True)
        sys.exit(1)
    click.echo(f"{response.status_code} {response.text.strip()}")
    sys.exit(0 if response.status_code < 400 else 1)


def _headers(settings: Settings, platform: str, event_name: str, delivery_id: str, body: bytes) -> dict:
    """The headers the platform sends with a delivery, signed with the deployment's secret."""
    try:
        headers = forge_class(platform).delivery_headers(settings, event_name, delivery_id, body)
    except ValueError as exc:  # the secret is not set
        raise click.UsageError(str(exc)) from None
    return {**headers, "Content-Type": "application/json"}
