"""A handler context in memory, for a handler rule's unit test: a forge that records its writes, a store of
incidents, jobs and permissions that answer from tables. Only what the unit tests here use."""
from __future__ import annotations

from handlers.context import Context
from incidents.config import load_config
from incidents.labels import LabelScheme
from incidents.repository_config import RepositoryConfig


class MemoryForge:
    """Records comments (marked ones too) and label removals; logins and the command prefix as on GitHub."""

    platform, bot_login, command_prefix, label_separator = "github", "desk[bot]", "/", ": "

    def __init__(self):
        self.comments: list[tuple[str, int, str]] = []
        self.removed: list[tuple[str, int, str]] = []

    def comment(self, repository, number, text, merge_request=False):
        self.comments.append((repository, number, text))

    def remove_label(self, repository, number, label):
        self.removed.append((repository, number, label))

    def upsert_marked_comment(self, repository, number, marker, body, merge_request=False):
        self.comments.append((repository, number, body))


class MemoryStore:
    """Incidents by (platform, repository, number)."""

    def __init__(self, *incidents):
        self.incidents = {(i.platform, i.repository, i.number): i for i in incidents}

    def get_incident(self, platform, repository, number):
        return self.incidents.get((platform, repository, number))

    def save_incident(self, incident):
        self.incidents[(incident.platform, incident.repository, incident.number)] = incident


class RecordedJobs:
    """Jobs asked for, in order."""

    def __init__(self):
        self.asked: list[tuple] = []

    def schedule_reminder(self, incident, delay):
        self.asked.append(("reminder", incident.number, delay))

    def ensure_reminder(self, incident, delay):
        self.asked.append(("ensure reminder", incident.number, delay))
        return False

    def request_blog_draft(self, incident):
        self.asked.append(("blog", incident.number))
        return "job-1"

    def announce(self, update_id):
        self.asked.append(("announce", update_id))

    def follow_in_chat(self, incident, view):
        self.asked.append(("follow in chat", incident.number))

    def announce_in_chat(self, target, title, body, key):
        self.asked.append(("announce in chat", target, key))

    def schedule_maintenance(self, public_id, delay):
        self.asked.append(("maintenance", public_id, delay))

    def refresh_board(self, incident):
        self.asked.append(("board", incident.number))

    def refresh_board_at(self, platform, repository, installation_id):
        self.asked.append(("board of", repository))

    def archive_chat_channel(self, channel, delay):
        self.asked.append(("archive", channel, delay))

    def set_up_repository(self, platform, repository, installation_id):
        self.asked.append(("set up", repository))
        return True


class TablePermissions:
    """`refusal` answers from a table of (command, login) -> what they would need."""

    def __init__(self, refused: dict | None = None):
        self.refused = refused or {}

    def level(self, repository, login):
        return "write"

    def refusal(self, command, login, repository, incident=None):
        return self.refused.get((command, login))

    def elsewhere(self, login, home, repository, needed):
        return None


def repository_config(text: str = "", separator: str = ": ") -> RepositoryConfig:
    """A repository's config from its file's text, with its label scheme."""
    config, errors = load_config(text or None)
    assert errors == []
    return RepositoryConfig(".github/incident-desk.yml", config, LabelScheme.with_separator(separator, config.labels))


def fake_context(repository: str = "o/r", config_text: str = "", store=None, permissions=None,
                 others: dict[str, str] | None = None) -> Context:
    """A context for `repository`; `others` maps other repositories to their config files' text."""
    others = others or {}
    return Context(forge=MemoryForge(), store=store or MemoryStore(), repository=repository,
                   config=repository_config(config_text), permissions=permissions or TablePermissions(),
                   jobs=RecordedJobs(), load_config=lambda other: repository_config(others.get(other, "")))
