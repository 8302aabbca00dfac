"""The alert group behind an incident in the store (issue 17): found from its (source, group key) and from its
incident, updated in place by later notifications, moved when it opens another incident. On SQLite, and on
PostgreSQL when DATABASE_URL names one."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from incidents.model import AlertGroup, Incident, Status
from store import UnknownIncident
from store.models import AlertGroupRow

AT = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
# Alertmanager's groupKey: the route's matchers, then the group's labels.
GROUP = '{}/{team="payments"}:{alertname="HighErrorRate", service="checkout"}'
FIRST, SECOND = "9f2c1c3a5b6d7e8f", "0a1b2c3d4e5f6a7b"


def _incident(store, number: int, **changes) -> Incident:
    incident = Incident("github", "acme/payments", number, f"Incident {number}", **changes)
    store.save_incident(incident)
    return incident


def _rows(store) -> list[AlertGroupRow]:
    with store.session() as s:
        return list(s.scalars(select(AlertGroupRow).order_by(AlertGroupRow.id)))


def test_a_group_never_saved_has_no_incident(store):
    incident = _incident(store, 1)
    assert store.alert_group("alertmanager", GROUP) is None
    assert store.alert_group_incident("alertmanager", GROUP) is None
    assert store.alert_group_of(incident) is None
    assert store.alert_group_of(Incident("github", "acme/payments", 99, "never saved")) is None


def test_the_first_save_records_the_group_with_its_incident(store):
    incident = _incident(store, 1, status=Status.INVESTIGATING, commander="alice")
    group = AlertGroup("alertmanager", GROUP, "firing", (FIRST,))
    assert store.save_alert_group(incident, group) is None
    assert store.alert_group("alertmanager", GROUP) == group
    assert store.alert_group_incident("alertmanager", GROUP) == incident
    assert store.alert_group_of(incident) == group
    [row] = _rows(store)
    assert (row.source, row.group_key, row.status, row.fingerprints, row.resolved_at) == (
        "alertmanager", GROUP, "firing", [FIRST], None)
    assert row.updated_at is not None and row.updated_at.tzinfo is not None


def test_later_notifications_update_the_same_row(store):
    incident = _incident(store, 1)
    store.save_alert_group(incident, AlertGroup("alertmanager", GROUP, "firing", (FIRST,)))
    first_seen = _rows(store)[0].updated_at
    store.save_alert_group(incident, AlertGroup("alertmanager", GROUP, "firing", (FIRST, SECOND)))  # one joined
    assert store.alert_group("alertmanager", GROUP).fingerprints == (FIRST, SECOND)
    resolved = AlertGroup("alertmanager", GROUP, "resolved", (), resolved_at=AT)
    store.save_alert_group(incident, resolved)
    assert store.alert_group("alertmanager", GROUP) == resolved
    assert store.alert_group_of(incident) == resolved
    [row] = _rows(store)  # one row per group, however many saves
    assert row.updated_at >= first_seen


def test_resolution_times_come_back_timezone_aware(store):
    incident = _incident(store, 1)
    later = AT + timedelta(hours=2)
    store.save_alert_group(incident, AlertGroup("grafana", GROUP, "resolved", (FIRST,), resolved_at=later))
    resolved_at = store.alert_group("grafana", GROUP).resolved_at
    assert resolved_at == later and resolved_at.tzinfo is not None


def test_the_source_and_the_key_name_the_group_together(store):
    payments, search, paged = _incident(store, 1), _incident(store, 2), _incident(store, 3)
    store.save_alert_group(payments, AlertGroup("alertmanager", GROUP, "firing", (FIRST,)))
    store.save_alert_group(search, AlertGroup("grafana", GROUP, "firing", (SECOND,)))  # same key, other sender
    store.save_alert_group(paged, AlertGroup("pagerduty", "Q1ZPGNJ9D2Y8WV", "firing"))
    assert store.alert_group_incident("alertmanager", GROUP) == payments
    assert store.alert_group_incident("grafana", GROUP) == search
    assert store.alert_group_incident("pagerduty", "Q1ZPGNJ9D2Y8WV") == paged
    assert store.alert_group_incident("pagerduty", GROUP) is None
    assert store.alert_group_of(search) == AlertGroup("grafana", GROUP, "firing", (SECOND,))
    assert len(_rows(store)) == 3


def test_a_group_that_opens_another_incident_moves_to_it(store):
    old = _incident(store, 1, status=Status.RESOLVED, closed_at=AT)
    store.save_alert_group(old, AlertGroup("alertmanager", GROUP, "resolved", (), resolved_at=AT))
    new = _incident(store, 2)
    store.save_alert_group(new, AlertGroup("alertmanager", GROUP, "firing", (FIRST,)))
    assert store.alert_group_incident("alertmanager", GROUP) == new
    assert store.alert_group_of(new) == AlertGroup("alertmanager", GROUP, "firing", (FIRST,))
    assert store.alert_group_of(old) is None
    assert len(_rows(store)) == 1


def test_an_incident_linked_to_several_groups_names_the_first(store):
    incident = _incident(store, 1)
    store.save_alert_group(incident, AlertGroup("alertmanager", GROUP, "firing", (FIRST,)))
    store.save_alert_group(incident, AlertGroup("pagerduty", "Q1ZPGNJ9D2Y8WV", "firing"))
    assert store.alert_group_of(incident) == AlertGroup("alertmanager", GROUP, "firing", (FIRST,))
    assert store.alert_group_incident("pagerduty", "Q1ZPGNJ9D2Y8WV") == incident


def test_saving_needs_a_saved_incident(store):
    with pytest.raises(UnknownIncident):
        store.save_alert_group(Incident("github", "acme/payments", 99, "never saved"),
                               AlertGroup("alertmanager", GROUP))
    assert _rows(store) == []


def test_a_long_group_key_is_kept_whole(store):
    incident = _incident(store, 1)
    key = "{}/{}:{" + ", ".join(f'label{i}="{"v" * 20}"' for i in range(30)) + "}"  # 30 group labels
    store.save_alert_group(incident, AlertGroup("alertmanager", key, "firing", (FIRST,)))
    assert store.alert_group("alertmanager", key).group == key


def test_a_group_saved_by_another_worker_meanwhile_is_updated_not_duplicated(store, monkeypatch):
    import store.alert_groups as alert_groups

    incident = _incident(store, 1)
    store.save_alert_group(incident, AlertGroup("alertmanager", GROUP, "firing", (FIRST,)))
    real, missed = alert_groups._group_row, []

    def not_seen_the_first_time(s, source, group):
        if not missed:
            missed.append(True)
            return None  # as when the other worker's insert committed just after this read
        return real(s, source, group)

    monkeypatch.setattr(alert_groups, "_group_row", not_seen_the_first_time)
    store.save_alert_group(incident, AlertGroup("alertmanager", GROUP, "firing", (FIRST, SECOND)))
    assert missed == [True]
    [row] = _rows(store)
    assert row.fingerprints == [FIRST, SECOND]
