"""When a `/timeline` entry happened (incidents/entry_time.py): pure, "now" passed in."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.entry_time import FutureEntry, entry_time

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 12, 2, 6, 13, tzinfo=BOGOTA)  # 11:13 UTC


def test_a_bare_time_later_than_now_is_yesterdays():
    """issue 13 item 22: `/timeline 14:05` sent at 06:13 is yesterday afternoon, and the reply says so."""
    found = entry_time(None, time(14, 5), None, "America/Bogota", NOW)
    assert found.at == datetime(2026, 12, 1, 14, 5, tzinfo=BOGOTA)
    assert found.note == "the day before: 14:05 had not come yet today"


def test_a_bare_time_up_to_now_is_todays():
    """issue 13 item 22: earlier today, and this very minute, stay today."""
    assert entry_time(None, time(5, 50), None, "America/Bogota", NOW).at == datetime(2026, 12, 2, 5, 50, tzinfo=BOGOTA)
    assert entry_time(None, time(6, 13), None, "America/Bogota", NOW).at == NOW
    assert entry_time(None, time(6, 13), None, "America/Bogota", NOW).note is None


def test_the_offset_decides_which_day_today_is():
    """issue 13 item 22: 11:00 UTC has passed at 06:13 Bogota (11:13 UTC), 12:00 UTC has not."""
    assert entry_time(None, time(11, 0), timedelta(0), "America/Bogota", NOW).at == \
        datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    assert entry_time(None, time(12, 0), timedelta(0), "America/Bogota", NOW).at == \
        datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_an_explicit_date_in_the_future_is_refused_with_the_reason():
    """issue 13 item 22: a dated time still to come is refused, naming it and now."""
    with pytest.raises(FutureEntry) as refused:
        entry_time(date(2026, 12, 2), time(14, 5), None, "America/Bogota", NOW)
    assert str(refused.value).startswith("2026-12-02 14:05 has not come yet (it is 2026-12-02 06:13 now)")
    with pytest.raises(FutureEntry):
        entry_time(date(2026, 12, 3), time(1, 0), None, "America/Bogota", NOW)
    past = entry_time(date(2026, 12, 1), time(14, 5), None, "America/Bogota", NOW)
    assert past.at == datetime(2026, 12, 1, 14, 5, tzinfo=BOGOTA) and past.note is None


def test_an_unknown_zone_is_utc():
    """As the document parser does: no zone, or an unknown one, reads times as UTC."""
    assert entry_time(None, time(11, 0), None, None, NOW).at == datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    assert entry_time(None, time(11, 0), None, "Mars/Olympus", NOW).at.utcoffset() == timedelta(0)
