"""`incident-desk list`: the incident board (issue 19) printed from the store — open incidents, those resolved in
the last 30 days, overdue action items — as a table or JSON."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from incident_desk.cli.tracking import open_store

PLATFORMS = ("github", "gitlab")


@click.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only the open incidents.")
@click.option("--repository", help="Only this repository (owner/repo or group/project).")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_incidents(only_open, repository, output):
    """The incident board: open incidents, those resolved in the last 30 days, overdue action items."""
    from incidents.board import board_json, board_table, build_board, filter_repository

    store, now = open_store(), datetime.now(UTC)
    entries = [entry for platform in PLATFORMS for entry in store.board_entries(platform)]
    board = build_board(filter_repository(entries, repository), now, only_open=only_open)
    if output == "json":
        data = board_json(board)
        click.echo(json.dumps({"open": data["open"]} if only_open else data, indent=2))
    else:
        click.echo(board_table(board), nl=False)


list = list_incidents  # noqa: A001 - the command registry looks commands up by their name
