"""The one way a configured timezone name becomes a zone: the IANA zone, or UTC when unset or unknown."""
from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo


def zone(name: str | None) -> tzinfo:
    """The IANA zone called `name`; UTC when the name is missing or not a zone this system knows."""
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            pass
    return UTC


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA zone this system knows (what the config's validation asks)."""
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True
