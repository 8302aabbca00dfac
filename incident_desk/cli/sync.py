"""`incident-desk sync`: rebuild the store's incidents and links of a repository from the forge's issues."""
from __future__ import annotations

import sys

import click

from forges import PLATFORMS
from incident_desk.settings import Settings


@click.command("sync")
@click.option("--repository", required=True, help="owner/repo or group/project to rebuild from.")
@click.option("--platform", type=click.Choice(PLATFORMS), default="github", show_default=True)
@click.option("--installation-id", type=int, help="GitHub App installation of the repository.")
def sync(repository, platform, installation_id):
    """Rebuild the store's incidents and links from the forge's issues: the issues are the source of truth."""
    from store import migrate
    from worker.bootstrap import forge_for, open_context, runtime
    from worker.sync import sync_repository

    if not Settings.from_env().redis_url:
        raise click.UsageError("REDIS_URL is needed (the config cache lives there)")
    rt = runtime()
    migrate(rt.settings.database_url)
    ctx = open_context(rt, forge_for(rt, platform, installation_id), repository,
                       page_problem=lambda problem: click.echo(f"incident-desk: {problem}", err=True))
    count = sync_repository(ctx, repository)
    click.echo(f"synced {count} incident(s) of {repository}", err=True)
    sys.exit(0)
