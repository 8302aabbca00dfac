"""The config schema's building blocks: a strict schema that loads into a dataclass, durations, severities.

incidents/config_schema.py (the file's sections) and incidents/config_schema_alerts.py (`alerts:`) build on these.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, post_load

from incidents.model import Severity, parse_severity

NOT_A_DURATION = "Not a duration: write seconds (3600) or units such as 1h, 30m, 1h30m."
DURATION_RANGE = "Must be between 1 minute and 7 days."
ARCHIVE_RANGE = "Must be `never` or between 1 minute and 365 days."
NOT_A_SEVERITY = "Not a severity; use one of " + ", ".join(s.value for s in Severity) + "."


def described(text: str) -> dict[str, str]:
    """A field's metadata: its description, which the docs and the config's errors show."""
    return {"description": text}


_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])", re.I)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """Seconds as a number, or units: `1h`, `30m`, `1h30m`, `2 hours`. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip(" ,"):
        raise ValueError(value)
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[unit[0].lower()] for n, unit in parts))


def _duration(value: Any, longest: timedelta, too_long: str) -> timedelta:
    try:
        duration = parse_duration(value)
    except (ValueError, OverflowError):
        raise ValidationError(NOT_A_DURATION) from None
    if not timedelta(minutes=1) <= duration <= longest:
        raise ValidationError(too_long)
    return duration


class Duration(fields.Field):
    """A duration written as seconds or with units, 1 minute to 7 days; loads as a timedelta."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> timedelta:
        return _duration(value, timedelta(days=7), DURATION_RANGE)


class DurationOrNever(fields.Field):
    """A duration as Duration takes it but up to a year, or `never` (loaded as None)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> timedelta | None:
        if isinstance(value, str) and value.strip().lower() == "never":
            return None
        return _duration(value, timedelta(days=365), ARCHIVE_RANGE)


class SeverityName(fields.String):
    """A severity as `/severity` takes it (`major outage`, `major-outage`), loaded as its value."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        severity = parse_severity(super()._deserialize(value, attr, data, **kwargs))
        if severity is None:
            raise ValidationError(NOT_A_SEVERITY)
        return severity.value


def frozen(value: Any) -> Any:
    """Lists as tuples and dicts as read-only mappings, all the way down: a loaded config never changes."""
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    if isinstance(value, dict):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    return value


class ModelSchema(Schema):
    """A strict schema (an unknown key is an error) that loads into the dataclass `model` names.

    Without a model it loads a dict; the dataclass gets its lists as tuples and dicts as read-only mappings.
    """

    model: ClassVar[type | None] = None

    class Meta:
        unknown = RAISE

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        """The loaded data as the schema's dataclass."""
        if self.model is None:
            return data
        return self.model(**{key: frozen(value) for key, value in data.items()})
