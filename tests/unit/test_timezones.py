"""The one timezone lookup and the one private check."""
from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from incidents.labels import LabelScheme
from incidents.timezones import is_zone, zone


def test_a_zone_by_name_else_utc():
    assert zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert zone(None) is zone("") is zone("Mars/Olympus") is UTC
    assert is_zone("America/New_York") and not is_zone("Mars/Olympus")


def test_private_is_confidential_or_the_private_label_whatever_its_case():
    scheme = LabelScheme.with_separator(": ")
    assert scheme.is_private(["Incident: Private"]) and scheme.is_private([], confidential=True)
    assert not scheme.is_private(["incident", "status: investigating"])
