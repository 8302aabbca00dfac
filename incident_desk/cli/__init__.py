"""The `incident-desk` command: the top layer, above the web app, the worker and the store.

Each module holds a few commands (run: serve/web/worker; docs: check/install-templates; status; tracking:
export/report/sync; replay); this one groups them. Heavy imports stay inside the commands, so
`incident-desk --help` starts fast.
"""
from __future__ import annotations

import importlib
import sys

import click

__all__ = ["cli", "main"]

# Each command's module, imported only when that command runs (or --help lists them): `export` should not
# pay for the checker's parsers, nor `check` for SQLAlchemy.
COMMANDS = {"serve": "run", "web": "run", "worker": "run", "replay": "replay", "check": "docs",
            "install-templates": "docs", "export": "tracking", "report": "tracking", "sync": "sync",
            "status": "status", "list": "board"}
COMMANDS["setup"] = "setup"  # setup github / setup gitlab (issue 19)


class LazyGroup(click.Group):
    """A group whose commands are imported by name when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        return getattr(importlib.import_module(f"incident_desk.cli.{module}"), cmd_name.replace("-", "_"))


@click.group(cls=LazyGroup)
def cli():
    """Incident Desk: run the incident process in GitHub and GitLab issues."""


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
