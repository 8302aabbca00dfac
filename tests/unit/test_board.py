"""The incident board's pure rules (incidents/board.py) and its setting."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incident_desk.settings import Settings
from incidents.board import (
    BoardFacts,
    DueAction,
    age_words,
    board_repository,
    build_board,
    next_change,
    render_board,
)
from incidents.model import Incident, Severity, Status

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def incident(number, status=Status.INVESTIGATING, repository="acme/api", **more):
    more.setdefault("reported_at", NOW - timedelta(hours=3))
    return Incident("github", repository, number, f"Incident {number}", status,
                    url=f"https://github.com/{repository}/issues/{number}", **more)


def test_open_resolved_and_overdue_rows():
    entries = [
        (incident(1, last_update_at=NOW - timedelta(minutes=30)), BoardFacts()),
        (incident(2, severity=Severity.MAJOR_OUTAGE, last_update_at=NOW - timedelta(hours=2)), BoardFacts()),
        (incident(3, Status.RESOLVED, resolved_at=NOW - timedelta(days=29), ttr_seconds=3600.0), BoardFacts(True)),
        (incident(4, Status.RESOLVED, resolved_at=NOW - timedelta(days=31)),
         BoardFacts(due_actions=(DueAction("Rotate keys", "bob", date(2026, 12, 2)),
                                 DueAction("Later", None, date(2026, 12, 3))))),
        (incident(5, tracking=False), BoardFacts()),
    ]
    board = build_board(entries, NOW)
    assert [(r.incident.number, r.stale, r.age) for r in board.open] == [(1, False, "3 h"), (2, True, "3 h")]
    assert [(r.incident.number, r.postmortem_complete) for r in board.resolved] == [(3, True)]
    assert [(r.incident.number, r.action.text) for r in board.overdue] == [(4, "Rotate keys")]
    text = render_board(board)
    assert "| major outage |" in text.lower() and "⚠️ no update for longer than the reminder interval" in text
    assert "| 1.0 hours | complete |" in text and "Rotate keys (`bob`) — due 2026-12-02" in text
    assert build_board(entries, NOW, only_open=True).resolved == ()


def test_the_same_state_renders_the_same_text_until_the_clock_changes_it():
    entries = [(incident(1, reported_at=NOW - timedelta(minutes=10), last_update_at=NOW - timedelta(minutes=10)),
                BoardFacts(reminder_interval=timedelta(hours=2)))]
    first = render_board(build_board(entries, NOW))
    assert render_board(build_board(entries, NOW + timedelta(minutes=40))) == first
    changes_at = next_change(entries, NOW)
    assert changes_at == NOW + timedelta(minutes=50)  # the age's first hour
    assert render_board(build_board(entries, changes_at)) != first


def test_a_private_incident_shows_no_title_nor_action_text_and_pipes_are_escaped():
    entries = [(incident(1, private=True), BoardFacts(due_actions=(DueAction("secret", None, date(2026, 1, 1)),))),
               (incident(2).with_changes(title="a | b"), BoardFacts())]
    text = render_board(build_board(entries, NOW))
    assert "Incident 1" not in text and "secret" not in text and "(private incident)" in text
    assert "a \\| b" in text


@pytest.mark.parametrize(("delta", "words"), [(timedelta(minutes=59), "<1 h"), (timedelta(hours=47), "47 h"),
                                              (timedelta(hours=49), "2 d")])
def test_ages_are_coarse(delta, words):
    assert age_words(delta) == words


def test_the_board_setting_names_one_repository_per_owner_or_group():
    settings = Settings.from_env({"INCIDENT_DESK_BOARD_REPOSITORIES": "github:acme/ops, gitlab:group/sub/ops"})
    assert settings.board_repositories == (("github", "acme/ops"), ("gitlab", "group/sub/ops"))
    assert board_repository(settings.board_repositories, "github", "Acme/api") == "acme/ops"
    assert board_repository(settings.board_repositories, "gitlab", "group/other/web") == "group/sub/ops"
    assert board_repository(settings.board_repositories, "gitlab", "acme/api") is None
    with pytest.raises(ValueError, match="INCIDENT_DESK_BOARD_REPOSITORIES"):
        Settings.from_env({"INCIDENT_DESK_BOARD_REPOSITORIES": "acme/ops"})


def test_a_board_longer_than_the_forge_takes_keeps_every_open_incident_and_says_how_many_rows_it_left_out():
    """GitHub refuses a body over 65,536 characters (422): a month of many incidents must still fit."""
    entries = [(incident(n, last_update_at=NOW), BoardFacts()) for n in range(1, 21)]
    entries += [(incident(n, Status.RESOLVED, resolved_at=NOW - timedelta(hours=n), ttr_seconds=60.0),
                 BoardFacts(due_actions=(DueAction(f"Follow up {n} " + "x" * 150, "bob", date(2026, 11, 1)),)))
                for n in range(21, 621)]
    board = build_board(entries, NOW)
    full = render_board(board)
    assert len(full) > 65_536  # as it was written: refused by GitHub
    text = render_board(board, limit=65_536)
    assert len(text) <= 65_536
    assert all(f"acme/api#{n}]" in text for n in range(1, 21))  # every open incident
    assert "## Resolved in the last 30 days (600)" in text and "## Overdue action items (600)" in text
    assert "more: `incident-desk list` shows them all." in text
    assert render_board(board, limit=10 * len(full)) == full  # room enough: the same text
