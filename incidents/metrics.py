"""TTD, TTF and TTR: when an incident started, was reported and was resolved, and how long each took.

Definitions (DESIGN "Metrics", reference/001):

- TTD (time to detect): impact start (the causing merge request merged) -> reported (issue opened).
- TTF (time to fix): reported -> resolved.
- TTR (time to recover): impact start -> resolved.

A timeline entry tagged `[impact-start]`, `[detected]` or `[resolved]` takes precedence over the
issue event it stands for. A time whose inputs are missing, or whose end comes before its start,
is unknown: never a guess and never a wrong number.

Pure: datetimes in, values and text out.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Protocol

from incidents.model import Incident, Link
from incidents.text import escape
from incidents.timezones import zone

UNKNOWN = "unknown"

# Sources of each moment, in plain words for the summary comment.
SOURCE_CAUSE_MERGED = "cause merged"
SOURCE_FIX_MERGED = "fix merged"
NO_FIX_LINKED = "resolve time: no fix merge request linked"
SOURCE_REPORTED = "issue opened"
SOURCE_RESOLVED = "status resolved"
SOURCE_TAG = "timeline tag [{tag}]"

TAG_IMPACT_START = "impact-start"
TAG_DETECTED = "detected"
TAG_MITIGATED = "mitigated"
TAG_RESOLVED = "resolved"

_ONE_DECIMAL = Decimal("0.1")
# (unit, seconds in it, the rounded value must stay below this to use the unit)
_UNITS = (
    ("minutes", Decimal(60), Decimal(60)),
    ("hours", Decimal(3600), Decimal(24)),
    ("days", Decimal(86400), None),
)


class TimelineEntryLike(Protocol):
    """What the metrics read from a timeline entry (incidents.timeline.TimelineEntry)."""

    # Read-only properties, so frozen dataclasses such as TimelineEntry match.
    @property
    def at(self) -> datetime | None: ...

    @property
    def tag(self) -> str | None: ...


# --- elapsed times and timestamps ------------------------------------------------------

def format_elapsed(seconds: float | Decimal | timedelta | None) -> str:
    """An elapsed time the way reference/000-001 write it: `42.5 minutes`, `3.2 hours`, `1.5 days`.

    Under 1 hour in minutes, under 1 day in hours, otherwise in days, always with one decimal.
    The value is rounded half-up on a Decimal to one decimal *before* the unit is chosen, so
    59 min 57 s (59.95 minutes) is `1.0 hours` and 23 h 57 min (23.95 hours) is `1.0 days`;
    exactly one hour is `1.0 hours` and exactly one day `1.0 days`.

    Past a month it keeps counting days (`45.0 days`, `400.0 days`): reference/000 stops its
    table at "1 month > elapsed_time", and months have no fixed length, so days stay exact and
    comparable. The unit word is always plural, as in the references.

    None, a negative value (the inputs were inconsistent) or a value that is not a number give
    "unknown", never a wrong number.
    """
    value = _seconds(seconds)
    if value is None or value < 0:
        return UNKNOWN
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + 12)  # room for huge values and one decimal
        for unit, size, limit in _UNITS:
            rounded = (value / size).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)
            if limit is None or rounded < limit:
                return f"{rounded:f} {unit}"
    return UNKNOWN  # not reached: days have no limit


def _seconds(value: float | Decimal | timedelta | None) -> Decimal | None:
    """The value as exact Decimal seconds; None when it is missing or not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, timedelta):
            # Exact: a float of total_seconds() could put 59.95 minutes a hair under the tie.
            number = Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 1_000_000
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, (int, float)):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            return None
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def resolve_zone(name: str | None) -> tzinfo:
    """The IANA zone by name; UTC when the name is missing or unknown (incidents.timezones.zone)."""
    return zone(name)


def _aware(at: datetime) -> datetime:
    """A naive datetime is taken as UTC (events always carry UTC; this only guards the arithmetic)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def format_timestamp(at: datetime | None, timezone: str | None) -> str:
    """`yy-mm-dd hh:mm` in the zone (UTC when None), e.g. `26-11-20 09:14`; None gives "unknown"."""
    if at is None:
        return UNKNOWN
    return _aware(at).astimezone(resolve_zone(timezone)).strftime("%y-%m-%d %H:%M")


def utc_offset_name(timezone: str | None, at: datetime | None = None) -> str:
    """The zone's UTC offset at that moment, named as the references do: `UTC-5`, `UTC+5:30`, `UTC`.

    Without a moment, the offset is named only if the zone keeps one offset all year; a zone
    with daylight saving time then gives its IANA name, since either offset would be a guess.
    """
    zone = resolve_zone(timezone)
    if at is not None:
        return _offset_name(_aware(at).astimezone(zone).utcoffset())
    winter, summer = (datetime(2001, month, 1, tzinfo=UTC).astimezone(zone).utcoffset()
                      for month in (1, 7))
    if winter == summer:
        return _offset_name(winter)
    return str(timezone)


def _offset_name(offset: timedelta | None) -> str:
    minutes = round((offset or timedelta(0)).total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# --- the three moments and the three times ----------------------------------------------

@dataclass(frozen=True)
class Moment:
    """A point in the incident and where it came from, in plain words.

    `source` is e.g. "cause merged (!34)", "timeline tag [impact-start]", "issue opened",
    "status resolved", or "unknown" when `at` is None.
    """

    at: datetime | None
    source: str

    @property
    def known(self) -> bool:
        return self.at is not None


UNKNOWN_MOMENT = Moment(None, UNKNOWN)


@dataclass(frozen=True)
class Metrics:
    """The incident's moments and its TTD, TTF and TTR in seconds (None when unknown)."""

    impact_start: Moment
    reported: Moment
    resolved: Moment
    ttd: float | None
    ttf: float | None
    ttr: float | None
    mitigated: Moment = UNKNOWN_MOMENT  # recorded from a `[mitigated]` tag; no time is measured to it
    fix_merged: Moment = UNKNOWN_MOMENT  # the fixing merge request merged: `[2]` of the Impact line

    @property
    def ttd_text(self) -> str:
        return format_elapsed(self.ttd)

    @property
    def ttf_text(self) -> str:
        return format_elapsed(self.ttf)

    @property
    def ttr_text(self) -> str:
        return format_elapsed(self.ttr)


def compute_metrics(
    *,
    cause_merged_at: datetime | None,
    cause_ref: str | None,
    reported_at: datetime | None,
    resolved_at: datetime | None,
    timeline: Sequence[TimelineEntryLike] = (),
    resolved_source: str = SOURCE_RESOLVED,
    fix_merged_at: datetime | None = None,
    fix_ref: str | None = None,
) -> Metrics:
    """TTD = impact start -> reported; TTF = reported -> resolved; TTR = impact start -> resolved.

    Each moment is the earliest timeline entry with its tag when there is one (`[impact-start]`,
    `[detected]`, `[resolved]`), else the issue event it stands for: the causing merge request's
    merge (`cause_ref`, e.g. "!34", names it in the source), the issue's creation, the resolve
    time (`resolved_source` says how it was recorded, "status resolved" by default). A missing
    moment or an end before its start leaves the time None ("unknown"). `fix_merged_at` (named by
    `fix_ref`) is recorded for the Impact line; no time is measured to it.
    """
    cause_source = f"{SOURCE_CAUSE_MERGED} ({cause_ref})" if cause_ref else SOURCE_CAUSE_MERGED
    impact_start = _moment(timeline, TAG_IMPACT_START, cause_merged_at, cause_source)
    reported = _moment(timeline, TAG_DETECTED, reported_at, SOURCE_REPORTED)
    resolved = _moment(timeline, TAG_RESOLVED, resolved_at, resolved_source)
    mitigated = _moment(timeline, TAG_MITIGATED, None, "")
    return Metrics(
        impact_start=impact_start,
        reported=reported,
        resolved=resolved,
        ttd=elapsed_seconds(impact_start.at, reported.at),
        ttf=elapsed_seconds(reported.at, resolved.at),
        ttr=elapsed_seconds(impact_start.at, resolved.at),
        mitigated=mitigated,
        fix_merged=Moment(_aware(fix_merged_at), f"{SOURCE_FIX_MERGED} ({fix_ref})" if fix_ref else SOURCE_FIX_MERGED)
        if fix_merged_at else UNKNOWN_MOMENT,
    )


def _moment(timeline: Sequence[TimelineEntryLike], tag: str, event_at: datetime | None, source: str) -> Moment:
    tagged = [_aware(entry.at) for entry in timeline
              if entry.at is not None and (entry.tag or "").lower() == tag]
    if tagged:
        return Moment(min(tagged), SOURCE_TAG.format(tag=tag))
    if event_at is None:
        return UNKNOWN_MOMENT
    return Moment(_aware(event_at), source)


def elapsed_seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end; None when either is missing or the end comes first."""
    if start is None or end is None:
        return None
    seconds = (_aware(end) - _aware(start)).total_seconds()
    return seconds if seconds >= 0 else None


# --- text -------------------------------------------------------------------------------

def impact_lines(metrics: Metrics, timezone: str | None) -> str:
    """The Impact section's time lines in reference/000-001's format, one per line:

        at UTC-5 [1] 26-11-20 09:14 to [2] 26-11-20 13:05 | Time to recover was 4.4 hours
        at UTC-5 [1] 26-11-20 09:30 | Time to detect was 16.0 minutes
        at UTC-5 [1] 26-11-20 09:30 to [2] 26-11-20 13:40 | Time to fix was 4.2 hours

    The incident's timeline comes first as in both references: `[1]` the impact start (the causing
    merge request), `[2]` the date of the merge request that fixed it (reference/000); with no fix
    merged, the resolve time, saying so. TTR is impact start to resolved either way. Then detection
    (the reported time, with TTD, reference/000's shape), then the time to fix (reference/001). The
    offset is the zone's at the line's first known time; a time whose offset differs (daylight
    saving changed in between) names its own. Unknown times and elapsed times are written "unknown".
    """
    end, note = (metrics.fix_merged, "") if metrics.fix_merged.known else (metrics.resolved, NO_FIX_LINKED)
    lines = [
        _impact_line(timezone, (metrics.impact_start, end), "Time to recover", metrics.ttr_text, note),
        _impact_line(timezone, (metrics.reported,), "Time to detect", metrics.ttd_text),
        _impact_line(timezone, (metrics.reported, metrics.resolved), "Time to fix", metrics.ttf_text),
    ]
    return "\n".join(lines)


def _impact_line(timezone: str | None, moments: Sequence[Moment], label: str, elapsed: str, note: str = "") -> str:
    first_known = next((moment.at for moment in moments if moment.at is not None), None)
    offset = utc_offset_name(timezone, first_known)
    stamps = []
    for number, moment in enumerate(moments, start=1):
        stamp = format_timestamp(moment.at, timezone)
        if moment.at is not None and utc_offset_name(timezone, moment.at) != offset:
            stamp += " " + utc_offset_name(timezone, moment.at)
        stamps.append(f"[{number}] {stamp}")
    return f"at {offset} {' to '.join(stamps)}{f' ({note})' if note else ''} | {label} was {elapsed}"


def render_metrics(metrics: Metrics, timezone: str | None) -> list[str]:
    """Markdown bullets for the summary comment, each time with where its ends came from:

        - **TTD** 13.0 minutes (cause merged (!34) 26-11-20 13:52 UTC-5 → issue opened 26-11-20 14:05 UTC-5)
        - **TTF** unknown (issue opened 26-11-20 14:05 UTC-5 → resolve time unknown)

    Sources are escaped for Markdown (a tag shows as `timeline tag \\[detected\\]` in the raw text).
    """
    start = (metrics.impact_start, "impact start")
    reported = (metrics.reported, "report time")
    resolved = (metrics.resolved, "resolve time")
    rows = (
        ("TTD", metrics.ttd_text, start, reported),
        ("TTF", metrics.ttf_text, reported, resolved),
        ("TTR", metrics.ttr_text, start, resolved),
    )
    return [f"- **{name}** {text} ({_shown(*begin, timezone)} → {_shown(*end, timezone)})"
            for name, text, begin, end in rows]


def _shown(moment: Moment, what: str, timezone: str | None) -> str:
    if moment.at is None:
        return f"{what} {UNKNOWN}"
    # The source may hold a user's merge request reference: escaped so it cannot ping or break Markdown.
    return (f"{escape(moment.source, 120)} {format_timestamp(moment.at, timezone)} "
            f"{utc_offset_name(timezone, moment.at)}")


__all__ = [
    "Metrics", "Moment", "UNKNOWN", "compute_metrics", "elapsed_seconds", "format_elapsed",
    "format_timestamp", "impact_lines", "render_metrics", "resolve_zone", "utc_offset_name",
]


def incident_metrics(incident: Incident, links: Sequence[Link], timeline: Sequence[TimelineEntryLike] = (),
                     ref_of: Callable[[Link], str] | None = None) -> Metrics:
    """An incident's metrics from its stored times, its links and its document's timeline.

    The impact started when the earliest merged cause reached production, and the incident was fixed
    when its last fix merged; `ref_of(link)` names them.
    """
    causes = _merged(links, "cause")
    fixes = _merged(links, "fix")
    cause, fix = (causes[0] if causes else None), (fixes[-1] if fixes else None)
    return compute_metrics(cause_merged_at=cause.merged_at if cause else None,
                           cause_ref=ref_of(cause) if cause and ref_of else None,
                           reported_at=incident.reported_at, resolved_at=incident.resolved_at, timeline=timeline,
                           fix_merged_at=fix.merged_at if fix else None,
                           fix_ref=ref_of(fix) if fix and ref_of else None)


def _merged(links: Sequence[Link], role: str) -> list[Link]:
    """The merged links of a role, earliest merge first."""
    merged = [(at, link) for link in links if link.role == role and (at := link.merged_at)]
    return [link for _, link in sorted(merged, key=lambda pair: pair[0])]
