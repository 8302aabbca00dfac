"""The incident tracking table (reference/003's spreadsheet): export and report; `sync.py` rebuilds it."""
from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time

import click

from incident_desk.settings import Settings

COLUMNS = ("platform", "repository", "number", "title", "status", "severity", "components", "commander",
           "taxonomy", "reported", "resolved", "closed", "cause", "fix", "ttd_seconds", "ttd", "ttf_seconds",
           "ttf", "ttr_seconds", "ttr", "open_actions",
           "url", "root_cause", "done_actions")  # `incident-desk check --history` compares these too
GROUPS = ("month", "component", "taxonomy")
METRICS = ("ttd", "ttf", "ttr")
PLOT_NEEDS_MATPLOTLIB = "drawing needs matplotlib, an optional extra: pip install 'incident-desk[plot]'"


def tracking_rows(store, since: date | None = None, repository: str | None = None) -> list[dict]:
    """One row per incident, in the order they were recorded (read as columns: no ORM or domain objects)."""
    from incidents.metrics import format_elapsed

    links = store.link_urls()
    start = datetime.combine(since, time(), UTC) if since else None
    rows = []
    for incident in store.tracking_table(repository, start):
        own = links.get((incident.platform, incident.repository, incident.number), ())
        row = {
            "platform": incident.platform, "repository": incident.repository, "number": incident.number,
            "title": incident.title, "status": incident.status, "severity": incident.severity or "",
            "components": " ".join(incident.components or ()), "commander": incident.commander or "",
            "taxonomy": incident.taxonomy or "",
            "reported": _iso(incident.reported_at), "resolved": _iso(incident.resolved_at),
            "closed": _iso(incident.closed_at),
            "cause": " ".join(url for role, url in own if role == "cause"),
            "fix": " ".join(url for role, url in own if role == "fix"),
            "open_actions": incident.open_actions or 0,
            "url": incident.url or "", "root_cause": incident.root_cause or "",
            "done_actions": incident.done_actions or 0,
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
        click.echo(indented_json(rows))
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # csv.DictWriter's check of every row's keys costs
    writer.writerow(COLUMNS)                             # a fifth of an export
    writer.writerows([row[c] for c in COLUMNS] for row in rows)
    click.echo(buffer.getvalue(), nl=False)


_ROW_ITEMS = json.JSONEncoder(separators=(",\n    ", ": "))


def indented_json(rows: list[dict]) -> str:
    """`json.dumps(rows, indent=2)`, byte for byte, with the C encoder (an indent makes json use its pure-Python
    one, half of an export's time): each row is flat, so its items' separator can carry the indentation."""
    if not rows:
        return "[]"
    return "[\n" + ",\n".join("  {\n    " + _ROW_ITEMS.encode(row)[1:-1] + "\n  }" for row in rows) + "\n]"


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
    from matplotlib.figure import Figure  # a Figure draws itself with Agg: no pyplot, no GUI backend to import

    labels = [e["group"] for e in entries]
    fig = Figure(figsize=(max(6, len(labels) * 0.6), 4))
    ax = fig.subplots()
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
