"""When a `/timeline` entry happened: the day a bare time means, and times that have not come yet.

Pure: the command's date, time and offset, the repository's zone and "now" in; a moment out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from incidents.metrics import resolve_zone

IN_THE_FUTURE = ("{at} has not come yet (it is {now} now), so it was not added; "
                 "check the date and the time.")
PREVIOUS_DAY = "the day before: {time} had not come yet today"


class FutureEntry(ValueError):
    """A timeline time with an explicit date that is still in the future; the message says so."""


@dataclass(frozen=True)
class EntryTime:
    """The entry's moment, and why its day is not the one written, if it is not."""

    at: datetime
    note: str | None = None


def entry_time(day: date | None, at: time, offset: timedelta | None, zone: str | None,
               now: datetime) -> EntryTime:
    """The moment a `/timeline` entry names, in its offset's zone or else the repository's.

    Without a date the time is today's, unless it is later than now: then it is yesterday's (an
    entry is written after the fact: `14:05` sent at 06:13 is last afternoon). With a date, a time
    still in the future is refused with FutureEntry.
    """
    tz = timezone(offset) if offset is not None else resolve_zone(zone)
    local_now = now.astimezone(tz)
    if day is None:
        moment = datetime.combine(local_now.date(), at, tzinfo=tz)
        if moment <= now:
            return EntryTime(moment)
        yesterday = datetime.combine(local_now.date() - timedelta(days=1), at, tzinfo=tz)
        return EntryTime(yesterday, PREVIOUS_DAY.format(time=f"{at:%H:%M}"))
    moment = datetime.combine(day, at, tzinfo=tz)
    if moment > now:
        raise FutureEntry(IN_THE_FUTURE.format(at=f"{moment:%Y-%m-%d %H:%M}", now=f"{local_now:%Y-%m-%d %H:%M}"))
    return EntryTime(moment)
