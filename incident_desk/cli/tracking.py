"""The incident tracking table (reference/003's spreadsheet): export, report, and sync from the forge."""
from __future__ import annotations

import csv
import io
import json
import statistics
import sys
from collections import defaultdict
from datetime import UTC, date, datetime

import click

from forges import PLATFORMS
from incident_desk.settings import Settings

COLUMNS = ("platform", "repository", "number", "title", "status", "severity", "components", "commander",
           "taxonomy", "reported", "resolved", "closed", "cause", "fix", "ttd_seconds", "ttd", "ttf_seconds",
           "ttf", "ttr_seconds", "ttr", "open_actions")
GROUPS = ("month", "component", "taxonomy")
METRICS = ("ttd", "ttf", "ttr")
PLOT_NEEDS_MATPLOTLIB = "drawing needs matplotlib, an optional extra: pip install 'incident-desk[plot]'"


def tracking_rows(store, since: date | None = None, repository: str | None = None) -> list[dict]:
    """One row per incident, in the order they were recorded."""
    from incidents.metrics import format_elapsed

    links = store.all_links()
    rows = []
    for incident in store.incidents(repository):
        if since and (incident.reported_at is None or incident.reported_at.date() < since):
            continue
        own = links.get((incident.platform, incident.repository, incident.number), [])
        row = {
            "platform": incident.platform, "repository": incident.repository, "number": incident.number,
            "title": incident.title, "status": incident.status.value,
            "severity": incident.severity.value if incident.severity else "",
            "components": " ".join(incident.components), "commander": incident.commander or "",
            "taxonomy": incident.taxonomy or "",
            "reported": _iso(incident.reported_at), "resolved": _iso(incident.resolved_at),
            "closed": _iso(incident.closed_at),
            "cause": " ".join(link.url for link in own if link.role == "cause"),
            "fix": " ".join(link.url for link in own if link.role == "fix"),
            "open_actions": incident.open_actions,
        }
        for name in METRICS:
            seconds = getattr(incident, f"{name}_seconds")
            row[f"{name}_seconds"] = round(seconds, 1) if seconds is not None else None
            row[name] = format_elapsed(seconds)
        rows.append(row)
    return rows


def _iso(at: datetime | None) -> str:
    return at.astimezone(UTC).isoformat(timespec="minutes") if at else ""


def report_rows(rows: list[dict], by: str) -> list[dict]:
    """Mean and median TTD/TTF/TTR per group; incidents without a value are left out of that figure."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        for key in _group_keys(row, by):
            groups[key].append(row)
    report = []
    for key in sorted(groups):
        entry = {"group": key, "incidents": len(groups[key])}
        for name in METRICS:
            values = [r[f"{name}_seconds"] for r in groups[key] if r[f"{name}_seconds"] is not None]
            entry[f"{name}_mean"] = statistics.fmean(values) if values else None
            entry[f"{name}_median"] = statistics.median(values) if values else None
        report.append(entry)
    return report


def _group_keys(row: dict, by: str) -> list[str]:
    if by == "month":
        return [row["reported"][:7] or "unknown"]
    if by == "component":
        return row["components"].split() or ["(none)"]
    return [row["taxonomy"].split(" < ")[0] if row["taxonomy"] else "(none)"]


def open_store():
    """The store at DATABASE_URL, migrated first."""
    from store import Store, migrate

    settings = Settings.from_env()
    migrate(settings.database_url)
    return Store(settings.database_url)


@click.command("export")
@click.option("--format", "output", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Incidents reported on or after this date.")
@click.option("--repository", help="Only this repository (owner/repo or group/project).")
def export(output, since, repository):
    """Write the tracking table: one row per incident."""
    rows = tracking_rows(open_store(), since.date() if since else None, repository)
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    click.echo(buffer.getvalue(), nl=False)


@click.command("report")
@click.option("--by", type=click.Choice(GROUPS), default="month", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="Also draw the means to FILE.png or FILE.svg.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--repository")
def report(by, plot, since, repository):
    """Mean and median TTD, TTF and TTR per month, component or taxonomy term."""
    from incidents.metrics import format_elapsed

    if plot and not plot.lower().endswith((".png", ".svg")):
        raise click.BadParameter("the plot file must end in .png or .svg", param_hint="--plot")
    if plot:
        _require_matplotlib()
    entries = report_rows(tracking_rows(open_store(), since.date() if since else None, repository), by)
    header = f"{by:<24} {'n':>6}" + "".join(f" {m.upper() + ' mean':>14} {m.upper() + ' median':>14}" for m in METRICS)
    click.echo(header)
    for entry in entries:
        click.echo(f"{entry['group'][:24]:<24} {entry['incidents']:>6}" + "".join(
            f" {format_elapsed(entry[f'{m}_mean']):>14} {format_elapsed(entry[f'{m}_median']):>14}" for m in METRICS))
    if plot:
        _draw(entries, by, plot)
        click.echo(f"plot written to {plot}", err=True)


def _require_matplotlib() -> None:
    """A usage error (exit 2) saying how to install the [plot] extra when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise click.BadParameter(PLOT_NEEDS_MATPLOTLIB, param_hint="--plot") from exc


def _draw(entries: list[dict], by: str, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    labels = [e["group"] for e in entries]
    fig, ax = plt.subplots(figsize=(max(6, len(labels) * 0.6), 4))
    width = 0.27
    for offset, name in enumerate(METRICS):
        hours = [(e[f"{name}_mean"] or 0) / 3600 for e in entries]
        ax.bar([i + (offset - 1) * width for i in range(len(labels))], hours, width, label=f"mean {name.upper()}")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_ylabel("hours")
    ax.set_title(f"Incident times by {by}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
