"""Who may run which command (DESIGN "Commands" and "Settled details: Permissions")."""
from __future__ import annotations

import json

from forges.base import PERMISSIONS
from incidents.command_table import ANYONE, BLOG, COMMANDER, NEEDED, RULES, WRITE
from worker.queue import KEY_PREFIX

CACHE_SECONDS = 300  # permissions change rarely; a command burst should not cost an API call each


class Permissions:
    """Answers "may this person run this command here?" for one delivery."""

    def __init__(self, forge, conn, config):
        self.forge, self.conn, self.config = forge, conn, config

    def level(self, repository: str, login: str) -> str:
        key = f"{KEY_PREFIX}:permission:{self.forge.platform}:{repository}:{login.lower()}"
        cached = self.conn.get(key)
        if cached is not None:
            return cached.decode()
        # Someone not on the list's first page (or added since it was read) is asked about in person.
        level = self._members(repository).get(login.lower()) or self.forge.permission(repository, login)
        self.conn.set(key, level, ex=CACHE_SECONDS)
        return level

    def _members(self, repository: str) -> dict[str, str]:
        """The repository's member list, read once per CACHE_SECONDS for every question about it (so
        naming a new commander costs no call); empty, and kept so, when it cannot be listed."""
        key = f"{KEY_PREFIX}:members:{self.forge.platform}:{repository}"
        cached = self.conn.get(key)
        if cached is not None:
            return json.loads(cached)
        members = self.forge.members(repository) or {}
        self.conn.set(key, json.dumps(members), ex=CACHE_SECONDS)
        return members

    def _at_least(self, repository: str, login: str, needed: str) -> bool:
        return PERMISSIONS.index(self.level(repository, login)) >= PERMISSIONS.index(needed)

    def _listed(self, login: str, users, teams) -> bool:
        return login.lower() in {u.lower() for u in users} or any(
            self.forge.is_team_member(team, login) for team in teams)

    def elsewhere(self, login: str, home: str, repository: str, needed: str) -> str | None:
        """None when a command naming `repository` may act there: read to show its merge requests, write
        to open issues in it; otherwise what the person would need, which tells nothing about it."""
        if repository.lower() == home.lower() or self._at_least(repository, login, needed):
            return None
        return f"{needed} access to `{repository.replace('`', '')}`"

    def refusal(self, command: str, login: str, repository: str, incident=None) -> str | None:
        """None when allowed; otherwise what the person would need."""
        rule = RULES.get(command, WRITE)
        if rule == ANYONE:
            return None
        configured = self.config.commands.get(command)
        if configured and (configured.allowed_users or configured.allowed_teams):
            # The config replaces the default rule for this command; admins are never locked out.
            if self._listed(login, configured.allowed_users, configured.allowed_teams) or \
                    self._at_least(repository, login, "admin"):
                return None
            return f"to be listed in `commands.{command}` of the repository config"
        if rule == BLOG:
            blog = self.config.blog
            allowed = self._listed(login, blog.allowed_users, blog.allowed_teams) or \
                self._at_least(repository, login, "admin")
            return None if allowed else NEEDED[BLOG]
        if rule == COMMANDER and incident is not None and incident.commander and \
                incident.commander.lower() == login.lower():
            return None
        needed = "write" if rule == WRITE else "maintain"
        return None if self._at_least(repository, login, needed) else NEEDED[rule]
