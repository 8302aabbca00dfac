"""Slack, two-way: the Chat interface on slack-sdk's WebClient (issue 16).

Errors come out as ChatError (Slack's `error` code in `.code`) or TransientChatError (an HTTP 5xx, `ratelimited` with
its Retry-After, Slack's own `internal_error`/`fatal_error`/`service_unavailable`/`request_timeout`, a dropped
connection). The WebClient is built with no retry handlers: slack-sdk would otherwise retry a connection error once,
inside the call. Failed calls are retried by the job queue, which honours `retry_after` without blocking a worker.
"""
from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.error import URLError
from urllib.parse import quote

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from chat.base import Channel, Chat, ChatError, ChatMessage, TransientChatError
from chat.markup import from_mrkdwn, to_mrkdwn

TRANSIENT_CODES = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
MAX_NAME = 80  # Slack's limit on a channel name
METADATA_EVENT = "incident_desk_message"  # the message metadata's event_type of a message `posted` can find
MAX_SUFFIX = 50  # `name-2` … `name-50`: past that, something else is wrong
_CODE = re.compile(r"^[a-z0-9_]+$")


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a `Retry-After` header (Slack sends whole seconds with its 429)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value if isinstance(value, str) else value[0]))
            except (TypeError, ValueError, IndexError):
                return None
    return None


def slack_error(what: str, status: int | None, code: str, headers: Mapping[str, str] | None) -> ChatError:
    """The error for a refused call: transient for 5xx, 429, a rate limit or Slack's own transient codes."""
    code = code if _CODE.match(code or "") else ""  # a 5xx from a proxy has an HTML page, not a code
    message = f"{what}: {code or f'HTTP {status}'}"
    if status == 429 or code == "ratelimited":
        return TransientChatError(message, code or "ratelimited", status, retry_after(headers))
    if status is None or status >= 500 or status == 408 or code in TRANSIENT_CODES:
        return TransientChatError(message, code, status)
    return ChatError(message, code, status)


@contextmanager
def slack_call(what: str) -> Iterator[None]:
    """Turn slack-sdk's and the network's exceptions into ChatError / TransientChatError."""
    try:
        yield
    except SlackApiError as exc:
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        raise slack_error(what, response.status_code, str(data.get("error") or ""), response.headers) from exc
    except (URLError, http.client.HTTPException, OSError) as exc:  # refused, reset, timed out
        raise TransientChatError(f"{what}: {exc.__class__.__name__}") from exc


def _message_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


class SlackChat(Chat):
    """One workspace, as its bot user (SLACK_BOT_TOKEN), on the Web API at `settings.slack_api_url`."""

    def __init__(self, settings, client: WebClient | None = None):
        if not settings.slack_bot_token and client is None:
            raise ChatError("SLACK_BOT_TOKEN is not set")
        self.team_id = settings.slack_team_id
        self.client = client or WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url,
                                          timeout=15, retry_handlers=[])
        self._users: dict[str, dict] = {}

    def channel_url(self, channel_id: str) -> str:
        """Slack's documented deep link that opens a channel in the app (or the browser)."""
        team = f"&team={quote(self.team_id)}" if self.team_id else ""
        return f"https://slack.com/app_redirect?channel={quote(channel_id)}{team}"

    def create_channel(self, name: str, reclaim: Callable[[Channel], bool] | None = None) -> Channel:
        for n in range(1, MAX_SUFFIX + 1):
            suffix = f"-{n}" if n > 1 else ""
            candidate = name[: MAX_NAME - len(suffix)].rstrip("-") + suffix
            try:
                with slack_call("create channel"):
                    channel = self.client.conversations_create(name=candidate, is_private=False)["channel"]
            except ChatError as exc:
                if exc.code != "name_taken":
                    raise
                found = self.joined_channel(candidate) if reclaim is not None else None
                if found is not None and reclaim is not None and reclaim(found):
                    return found
                continue
            return self._channel(channel)
        raise ChatError(f"create channel: {name}, {name}-2 … {name}-{MAX_SUFFIX} are all taken", "name_taken")

    def joined_channel(self, name: str) -> Channel | None:
        """The public, unarchived channel of that name the bot is in (users.conversations, page by page): Slack
        has no lookup by name, and the channels the bot made are the ones it is in."""
        cursor = ""
        while True:
            with slack_call("list channels"):
                page = self.client.users_conversations(types="public_channel", exclude_archived=True, limit=999,
                                                       cursor=cursor or None)
            found = next((c for c in page.get("channels") or [] if c.get("name") == name), None)
            if found is not None:
                return self._channel(found)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return None

    def _channel(self, channel: Mapping) -> Channel:
        created = channel.get("created")
        return Channel(id=channel["id"], name=channel["name"], url=self.channel_url(channel["id"]),
                       created_at=datetime.fromtimestamp(created, UTC) if created else None)

    def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        users = list(dict.fromkeys(u for u in user_ids if u))
        if not users:
            return
        try:
            with slack_call("invite"):
                self.client.conversations_invite(channel=channel, users=users)
        except ChatError as exc:
            if exc.code not in ("already_in_channel", "cant_invite_self"):
                raise
            if len(users) > 1:  # Slack refuses the whole call for one who is in already: the others one by one
                for user in users:
                    self.invite(channel, [user])

    def post(self, channel: str, text: str, key: str | None = None) -> str:
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
        with slack_call("post message"):
            response = self.client.chat_postMessage(channel=channel, text=to_mrkdwn(text), unfurl_links=False,
                                                    unfurl_media=False, metadata=metadata)
        return str(response["ts"])

    def posted(self, channel: str, key: str) -> str | None:
        """Among the channel's latest 100 messages (conversations.history with include_all_metadata), the one
        whose message metadata carries `key`: Slack's documented way for an app to mark its messages."""
        with slack_call("read messages"):
            found = self.client.conversations_history(channel=channel, include_all_metadata=True, limit=100)
        for message in found.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return str(message["ts"])
        return None

    def update(self, channel: str, ts: str, text: str) -> None:
        with slack_call("update message"):
            self.client.chat_update(channel=channel, ts=ts, text=to_mrkdwn(text))

    def pin(self, channel: str, ts: str) -> None:
        try:
            with slack_call("pin message"):
                self.client.pins_add(channel=channel, timestamp=ts)
        except ChatError as exc:
            if exc.code != "already_pinned":
                raise

    def archive(self, channel: str) -> None:
        try:
            with slack_call("archive channel"):
                self.client.conversations_archive(channel=channel)
        except ChatError as exc:
            if exc.code != "already_archived":
                raise

    def respond(self, response_url: str, text: str) -> None:
        """POST to the command's response_url (a Slack URL, not the Web API; no token)."""
        if not response_url.startswith(("https://", "http://")):
            raise ChatError("respond: the response_url is not an HTTP URL")
        try:
            answer = requests.post(response_url, json={"response_type": "ephemeral", "text": to_mrkdwn(text)},
                                   timeout=10)
        except requests.RequestException as exc:
            raise TransientChatError(f"respond: {exc.__class__.__name__}") from exc
        if answer.status_code >= 300:
            raise slack_error("respond", answer.status_code, answer.text.strip(), answer.headers)

    def message(self, channel: str, ts: str) -> ChatMessage | None:
        """conversations.history (latest=ts, inclusive, limit=1) finds a message of the channel; a reply in a
        thread is not there, so conversations.replies, which takes the ts of any message of a thread, is asked next."""
        with slack_call("read message"):
            found = self.client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        message = next((m for m in found.get("messages") or [] if m.get("ts") == ts), None)
        if message is None:
            try:
                with slack_call("read thread"):
                    thread = self.client.conversations_replies(channel=channel, ts=ts, latest=ts, oldest=ts,
                                                               inclusive=True, limit=2)
            except ChatError as exc:
                if exc.code in ("thread_not_found", "message_not_found"):
                    return None
                raise
            message = next((m for m in thread.get("messages") or [] if m.get("ts") == ts), None)
        if message is None:
            return None
        return ChatMessage(channel=channel, ts=ts, text=from_mrkdwn(message.get("text") or ""),
                           author=message.get("user") or message.get("bot_id") or "", at=_message_time(ts))

    def user_email(self, user_id: str) -> str | None:
        email = (self._user(user_id).get("profile") or {}).get("email")
        return str(email) if email else None

    def user_name(self, user_id: str) -> str | None:
        user = self._user(user_id)
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        return str(name) if name else None

    def _user(self, user_id: str) -> dict:
        """users.info's user, asked once per user per process (a name and address change rarely)."""
        if user_id not in self._users:
            try:
                with slack_call("read user"):
                    self._users[user_id] = dict(self.client.users_info(user=user_id)["user"])
            except ChatError as exc:
                if exc.code != "user_not_found":
                    raise
                self._users[user_id] = {}
        return self._users[user_id]
