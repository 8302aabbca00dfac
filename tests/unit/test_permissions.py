"""Who may run what: DESIGN's table, the commander, config overrides, and the brief cache."""
from __future__ import annotations

import pytest

from incidents.config import load_config
from incidents.model import Incident
from worker.permissions import Permissions


class Forge:
    """Answers permission questions from tables, counting how often it is asked."""

    platform = "github"

    def __init__(self, levels, teams=None, listed=None):
        self.levels, self.teams, self.asked = levels, teams or {}, 0
        self.listed, self.lists = listed, 0  # the member list's first page, or None: it cannot be listed

    def permission(self, repository, login):
        self.asked += 1
        return self.levels.get(login, "none")

    def members(self, repository):
        self.lists += 1
        return None if self.listed is None else {login: self.levels[login] for login in self.listed}

    def is_team_member(self, team, login):
        return login in self.teams.get(team, ())


def permissions(redis_conn, levels, config_text="", teams=None):
    config, errors = load_config(config_text)
    assert errors == []
    return Permissions(Forge(levels, teams), redis_conn, config)


INCIDENT = Incident(platform="github", repository="o/r", number=1, title="t", commander="carol")


@pytest.mark.parametrize("command, login, allowed", [
    ("help", "stranger", True),
    ("timeline", "wendy", True), ("timeline", "rita", False),
    ("status", "carol", True),       # the commander, with only read access
    ("status", "wendy", False), ("status", "mark", True),
    ("close", "carol", False), ("close", "mark", True),
    ("blog", "mark", False), ("blog", "ada", True),
])
def test_default_rules(redis_conn, command, login, allowed):
    levels = {"wendy": "write", "rita": "read", "carol": "read", "mark": "maintain", "ada": "admin"}
    refusal = permissions(redis_conn, levels).refusal(command, login, "o/r", INCIDENT)
    assert (refusal is None) == allowed


def test_refusal_names_what_is_needed(redis_conn):
    refusal = permissions(redis_conn, {"rita": "read"}).refusal("close", "rita", "o/r", INCIDENT)
    assert refusal == "maintainer access"


def test_config_widens_and_narrows_a_command(redis_conn):
    text = ("commands:\n  status:\n    allowed_users: [rita]\n"
            "  timeline:\n    allowed_teams: [acme/sre]\n")
    rules = permissions(redis_conn, {"rita": "read", "wendy": "write", "ada": "admin", "sam": "read"}, text,
                        teams={"acme/sre": {"sam"}})
    assert rules.refusal("status", "rita", "o/r", INCIDENT) is None        # widened to a reader
    assert rules.refusal("timeline", "wendy", "o/r", INCIDENT) is not None  # narrowed to the team
    assert rules.refusal("timeline", "sam", "o/r", INCIDENT) is None
    assert rules.refusal("timeline", "ada", "o/r", INCIDENT) is None        # admins are never locked out


def test_permission_is_cached_briefly(redis_conn):
    rules = permissions(redis_conn, {"wendy": "write"})
    for _ in range(3):
        assert rules.refusal("timeline", "wendy", "o/r", INCIDENT) is None
    assert rules.forge.asked == 1
    assert 0 < redis_conn.ttl("incident-desk:permission:github:o/r:wendy") <= 300


def test_another_repository_needs_its_own_access(redis_conn):
    """issue 13 item 2: read to link, write to open follow-ups, asked of that repository; home needs nothing more."""

    class PerRepository(Forge):
        def permission(self, repository, login):
            self.asked += 1
            return self.levels.get((repository, login), "none")

    rules = Permissions(PerRepository({("o/r", "wendy"): "write", ("o/lib", "wendy"): "read"}), redis_conn,
                        load_config("")[0])
    assert rules.elsewhere("wendy", "o/r", "O/R", "write") is None and rules.forge.asked == 0
    assert rules.elsewhere("wendy", "o/r", "o/lib", "read") is None
    assert rules.elsewhere("wendy", "o/r", "o/lib", "write") == "write access to `o/lib`"
    assert rules.elsewhere("wendy", "o/r", "secret/vault", "read") == "read access to `secret/vault`"


def test_the_member_list_answers_for_everyone_on_it_once(redis_conn):
    """One list read serves every question about the repository; someone not on it is asked about."""
    forge = Forge({"alice": "write", "bob": "admin", "carol": "read"}, listed=["alice", "bob"])
    checker = Permissions(forge, redis_conn, load_config("")[0])
    assert [checker.level("o/r", login) for login in ("alice", "Bob", "carol", "alice")] == \
        ["write", "admin", "read", "write"]
    assert (forge.lists, forge.asked) == (1, 1)
    assert Permissions(forge, redis_conn, load_config("")[0]).level("o/r", "bob") == "admin"
    assert forge.lists == 1  # kept in Redis for the next delivery too
