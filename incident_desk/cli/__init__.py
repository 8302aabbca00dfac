"""The `incident-desk` command: the top layer, above the web app, the worker and the store.

Each module holds a few commands (run: serve/web/worker; docs: check/install-templates; status; tracking:
export/report/sync; replay); this one groups them. Heavy imports stay inside the commands, so
`incident-desk --help` starts fast.
"""
from __future__ import annotations

import sys

import click

from incident_desk.cli.docs import check, install_templates
from incident_desk.cli.replay import replay
from incident_desk.cli.run import serve, web, worker
from incident_desk.cli.status import status
from incident_desk.cli.tracking import export, report, sync

__all__ = ["cli", "main"]


@click.group()
def cli():
    """Incident Desk: run the incident process in GitHub and GitLab issues."""


for command in (serve, web, worker, replay, check, install_templates, export, report, sync, status):
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
