"""`incident-desk check --history FILE`: the past incidents of an `incident-desk export` (CSV or JSON) as incidents,
so the check can name similar ones the Recurrence section does not (incidents.similar)."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from incidents.model import Incident, Status

NOT_AN_EXPORT = "{path} is not an `incident-desk export` (CSV or JSON): {reason}"


class NotAnExport(ValueError):
    """The history file cannot be read as an export."""


def read_history(text: str, path: str) -> list[Incident]:
    """The incidents of an export's text; a JSON export starts with `[`, anything else is read as its CSV."""
    try:
        rows = json.loads(text) if text.lstrip().startswith("[") else list(csv.DictReader(io.StringIO(text)))
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ValueError("expected a list of rows")
        return [_incident(row) for row in rows]
    except (ValueError, KeyError, TypeError) as error:
        raise NotAnExport(NOT_AN_EXPORT.format(path=path, reason=error)) from None


def _incident(row: dict) -> Incident:
    """One exported row (the tracking table's columns) as the incident it describes."""
    status = str(row.get("status") or "")
    return Incident(
        platform=str(row.get("platform") or ""), repository=str(row["repository"]), number=int(row["number"]),
        title=str(row.get("title") or ""), url=str(row.get("url") or ""),
        status=Status(status) if status in {s.value for s in Status} else Status.RESOLVED,
        components=tuple(str(row.get("components") or "").split()), taxonomy=str(row.get("taxonomy") or "") or None,
        reported_at=_time(row.get("reported")), resolved_at=_time(row.get("resolved")),
        ttr_seconds=_number(row.get("ttr_seconds")), open_actions=int(_number(row.get("open_actions")) or 0),
        done_actions=int(_number(row.get("done_actions")) or 0), root_cause=str(row.get("root_cause") or "") or None)


def _time(value) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _number(value) -> float | None:
    return float(value) if value not in (None, "") else None
