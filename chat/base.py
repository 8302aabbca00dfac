"""The chat interface handlers act through, as they act on issues through `forges.base.Forge`.

Text handed to a chat adapter is the bot's own Markdown, the same it writes in issue comments (user text
in it already passed through `incidents.text.escape`): `**bold**`, `` `code` ``, `[label](url)`, one
item per line. Each adapter turns that into its own format and escapes what its platform would act on
(Slack: `&`, `<`, `>`, so no `<!channel>` or `<@U…>` can be formed).
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


class ChatError(Exception):
    """A chat API refused a call; `code` is its error (Slack: `channel_not_found`, `not_in_channel`, ...)."""

    def __init__(self, message: str, code: str = "", status: int | None = None):
        super().__init__(message)
        self.code, self.status = code, status


class TransientChatError(ChatError):
    """Worth retrying: a 5xx, a dropped connection, or a rate limit (then `retry_after`, in seconds)."""

    def __init__(self, message: str, code: str = "", status: int | None = None, retry_after: float | None = None):
        super().__init__(message, code, status)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Channel:
    id: str
    name: str  # without the '#'
    url: str  # a link that opens the channel
    created_at: datetime | None = field(default=None, compare=False)  # when read back from the chat


@dataclass(frozen=True)
class ChatMessage:
    channel: str
    ts: str  # Slack's message id, also its time
    text: str  # as the chat shows it, in plain words (mentions as names, links as their text)
    author: str  # the chat user id who wrote it
    at: datetime  # the message's own time (UTC)


class Chat(abc.ABC):
    """A two-way chat workspace: the incident's channel, its pinned summary, replies and reactions."""

    @abc.abstractmethod
    def create_channel(self, name: str, reclaim: Callable[[Channel], bool] | None = None) -> Channel:
        """A new public channel named `name`, or `name-2`, `name-3`, ... when the name is taken. With `reclaim`,
        a taken name's channel that the bot is in and `reclaim` accepts is returned instead of a new one: the
        channel an earlier try made, its answer lost."""

    @abc.abstractmethod
    def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        """Add people to the channel; someone already in it is no error."""

    @abc.abstractmethod
    def post(self, channel: str, text: str, key: str | None = None) -> str:
        """Post a message; its ts. With `key`, the message carries it, unseen, for `posted` to find."""

    @abc.abstractmethod
    def posted(self, channel: str, key: str) -> str | None:
        """The ts of the bot's recent message in the channel that carries `key`, if there is one."""

    @abc.abstractmethod
    def update(self, channel: str, ts: str, text: str) -> None:
        """Edit a message the bot posted."""

    @abc.abstractmethod
    def pin(self, channel: str, ts: str) -> None:
        """Pin a message; one already pinned is no error."""

    @abc.abstractmethod
    def archive(self, channel: str) -> None:
        """Archive the channel; one already archived is no error."""

    @abc.abstractmethod
    def respond(self, response_url: str, text: str) -> None:
        """Answer a slash command through its response_url, seen only by the person who typed it."""

    @abc.abstractmethod
    def message(self, channel: str, ts: str) -> ChatMessage | None:
        """One message of the channel, or None when it is gone."""

    @abc.abstractmethod
    def user_email(self, user_id: str) -> str | None:
        """The person's e-mail address, when the workspace shows it."""

    @abc.abstractmethod
    def user_name(self, user_id: str) -> str | None:
        """The person's name as the workspace shows it (display name, else real name)."""


class Announcer(abc.ABC):
    """One-way announcements to named targets (Teams, Discord, Matrix, Mattermost, ...)."""

    @abc.abstractmethod
    def announce(self, target_url: str, title: str, body: str) -> None:
        """Send one announcement; TransientChatError when the target should be tried again later."""
