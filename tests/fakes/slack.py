"""A stateful fake of Slack's Web API (and of slash commands' response_url) on `responses`, like tests/fakes/github.py.

Channels (create, `name_taken`, users.conversations paged), members (invite, `already_in_channel`), messages
(post, update, history, replies), pins (`already_pinned`), archive (`already_archived`), users (users.info with
profile.email) and the response_url posts. Answers are Slack's documented examples
(docs.slack.dev/reference/methods/<method>) with our values put in. Every request stays in `api.calls`;
`fake.sent(method)` reads their parameters back.

slack-sdk's WebClient sends with urllib, which `responses` does not see: `FakeSlack(api, monkeypatch)` points the
WebClient's `urlopen` at `requests` (`urlopen_through_requests`), so the very request the WebClient built (URL,
headers, form or JSON body) goes through `responses`, and an HTTP error or a dropped connection comes back to the
WebClient as urllib would raise it. tools/fake_slack.py serves the same fake over real HTTP, with no patching.
"""
from __future__ import annotations

import base64
import email.message
import io
import itertools
import json
import re
import time
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs

import requests

SLACK_API = "https://slack.com/api/"
SLACK_TEAM = "T0001"
BOT_USER = "U0BOT0001"
BOT_ID = "B0BOT0001"
RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234567890/abcdefHIJKLMnopq"


class _UrllibAnswer:
    """What urllib's urlopen returns, made from a requests.Response."""

    def __init__(self, answer: requests.Response):
        self.code, self.status, self.body = answer.status_code, answer.status_code, answer.content
        self.headers = email.message.Message()
        for key, value in answer.headers.items():
            self.headers[key] = value

    def read(self) -> bytes:
        return self.body


def urlopen_through_requests(req, context=None, timeout=None):
    """urllib.request.urlopen's contract over `requests`: a 2xx answer, HTTPError otherwise, URLError when the
    connection fails."""
    try:
        answer = requests.request(req.get_method(), req.full_url, data=req.data, headers=dict(req.header_items()),
                                  timeout=timeout)
    except requests.ConnectionError as exc:
        raise URLError(exc) from exc
    result = _UrllibAnswer(answer)
    if answer.status_code >= 400:
        raise HTTPError(req.full_url, answer.status_code, answer.reason or "", result.headers,
                        io.BytesIO(answer.content))
    return result


def slack_params(request) -> dict:
    """A Web API request's parameters, form-encoded (most methods) or JSON (chat.postMessage, chat.update)."""
    body = request.body or b""
    body = body.decode() if isinstance(body, bytes) else body
    if "json" in (request.headers.get("Content-Type") or ""):
        return json.loads(body)
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def channel_json(channel: dict) -> dict:
    """A conversation object as conversations.create's documented example shows it."""
    return {"id": channel["id"], "name": channel["name"], "is_channel": True, "is_group": False, "is_im": False,
            "created": channel["created"], "creator": BOT_USER, "is_archived": channel["archived"],
            "is_general": False, "unlinked": 0, "name_normalized": channel["name"], "is_shared": False,
            "is_ext_shared": False, "is_org_shared": False, "pending_shared": [], "is_pending_ext_shared": False,
            "is_member": True, "is_private": False, "is_mpim": False, "last_read": "0000000000.000000",
            "latest": None, "unread_count": 0, "unread_count_display": 0,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [], "priority": 0}


def user_json(user_id: str, name: str, email: str | None) -> dict:
    """A user object as users.info's documented example shows it (`email` only with users:read.email)."""
    profile = {"avatar_hash": "ge3b51ca72de", "status_text": "", "status_emoji": "", "real_name": name.title(),
               "display_name": name, "real_name_normalized": name.title(), "display_name_normalized": name,
               "image_24": "https://a.slack-edge.com/avatar-24.png", "team": SLACK_TEAM}
    if email:
        profile["email"] = email
    return {"id": user_id, "team_id": SLACK_TEAM, "name": name, "deleted": False, "color": "9f69e7",
            "real_name": name.title(), "tz": "Europe/Amsterdam", "tz_label": "Central European Time",
            "tz_offset": 3600, "profile": profile, "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": False, "updated": 1502138686,
            "is_app_user": False, "has_2fa": False}


class FakeSlack:
    """One workspace's channels, messages, pins and users, answering the Web API methods the adapter calls."""

    def __init__(self, api=None, monkeypatch=None, base_url: str = SLACK_API):
        self.base_url = base_url
        self.channels: dict[str, dict] = {}  # id -> {id, name, created, archived, members, pins}
        self.messages: dict[str, list[dict]] = {}  # channel id -> messages, oldest first
        self.users: dict[str, dict] = {}
        self.responses_posted: list[tuple[str, dict]] = []  # (response_url, JSON body) in order
        self.log: list[tuple[str, dict]] = []  # (method, params) of every Web API call, for tools/fake_slack.py
        # method (or "response_url") -> answers to give first: (status, body, headers), or None to drop the connection
        self.failures: dict[str, list[tuple[int, dict, dict] | None]] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self.api = api
        if api is not None:
            api.add_callback("POST", re.compile(re.escape(base_url) + r"[a-zA-Z.]+$"), callback=self._callback)
            api.add_callback("POST", re.compile(r"https://hooks\.slack\.com/.+"), callback=self._response_url)
        if monkeypatch is not None:
            monkeypatch.setattr("slack_sdk.web.base_client.urlopen", urlopen_through_requests)

    # ---- set up and read back ----
    def add_user(self, user_id: str, name: str, email: str | None = None) -> None:
        self.users[user_id] = user_json(user_id, name, email)

    def add_channel(self, name: str) -> str:
        channel_id = f"C{next(self._ids):08d}"
        self.channels[channel_id] = {"id": channel_id, "name": name, "created": int(time.time()), "archived": False,
                                     "members": [BOT_USER], "pins": []}
        self.messages[channel_id] = []
        return channel_id

    def add_message(self, channel: str, text: str, user: str, thread_ts: str | None = None) -> str:
        ts = self._ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            message.update(thread_ts=thread_ts, parent_user_id=self._find(channel, thread_ts)["user"])
        self.messages[channel].append(message)
        return ts

    def fail(self, method: str, status: int = 200, error: str | None = None, times: int = 1,
             retry_after: int | None = None, body: str | None = None) -> None:
        """Answer the next `times` calls of `method` with an error: Slack's `{"ok": false, "error": …}` (status 200
        as Slack sends most errors, 429 with Retry-After for `ratelimited`), or a raw `body` (a proxy's 5xx page)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        answer = {"_raw": body} if body is not None else {"ok": False, "error": error}
        self.failures.setdefault(method, []).extend([(status, answer, headers)] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """Drop the connection on the next `times` calls of `method` (or of "response_url")."""
        self.failures.setdefault(method, []).extend([None] * times)

    def _failure(self, method: str):
        failure = self.failures[method].pop(0)
        if failure is None:
            raise requests.ConnectionError(f"the fake dropped the connection to {method}")
        return failure

    def sent(self, method: str) -> list[dict]:
        """The parameters of every call of `method` that went through `responses`, in order."""
        assert self.api is not None
        return [slack_params(c.request) for c in self.api.calls if c.request.url == self.base_url + method]

    def channel_named(self, name: str) -> dict | None:
        return next((c for c in self.channels.values() if c["name"] == name), None)

    # ---- the Web API ----
    def handle(self, method: str, params: dict) -> tuple[int, dict, dict]:
        """(status, headers, body) for one Web API call."""
        self.log.append((method, params))
        if self.failures.get(method):
            status, body, headers = self._failure(method)
            return status, headers, body
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, handler(params)

    def _callback(self, request):
        status, headers, body = self.handle(request.url[len(self.base_url):], slack_params(request))
        text = body["_raw"] if "_raw" in body else json.dumps(body)
        content_type = "text/html" if "_raw" in body else "application/json; charset=utf-8"
        return status, {"Content-Type": content_type, **headers}, text

    def _response_url(self, request):
        if self.failures.get("response_url"):
            status, body, _headers = self._failure("response_url")
            return status, {"Content-Type": "text/html"}, body["_raw"]
        self.responses_posted.append((request.url, json.loads(request.body)))
        return 200, {"Content-Type": "text/html"}, "ok"

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._clock):06d}"

    def _find(self, channel: str, ts: str) -> dict:
        return next(m for m in self.messages.get(channel, []) if m["ts"] == ts)

    def _channel(self, params) -> dict | None:
        return self.channels.get(params.get("channel", ""))

    def _conversations_create(self, params):
        name = params["name"]
        if not re.fullmatch(r"[a-z0-9_-]{1,80}", name):
            return {"ok": False, "error": "invalid_name_specials"}
        if self.channel_named(name):
            return {"ok": False, "error": "name_taken"}
        return {"ok": True, "channel": channel_json(self.channels[self.add_channel(name)])}

    def _conversations_invite(self, params):
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        users = [u for u in params["users"].split(",") if u]
        if any(u not in self.users for u in users):
            return {"ok": False, "error": "user_not_found"}
        if any(u in channel["members"] for u in users):
            return {"ok": False, "error": "already_in_channel"}
        channel["members"] += users
        return {"ok": True, "channel": channel_json(channel)}

    def _chat_postMessage(self, params):
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel["archived"]:
            return {"ok": False, "error": "is_archived"}
        ts = self._ts()
        message = {"type": "message", "subtype": "bot_message", "text": params["text"], "user": BOT_USER,
                   "bot_id": BOT_ID, "ts": ts}
        if params.get("metadata"):  # a JSON object in a JSON body, a JSON string in a form
            metadata = params["metadata"]
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.messages[channel["id"]].append(message)
        return {"ok": True, "channel": channel["id"], "ts": ts, "message": message}

    def _chat_update(self, params):
        channel = self._channel(params)
        message = next((m for m in self.messages.get(params.get("channel", ""), []) if m["ts"] == params["ts"]), None)
        if channel is None or message is None:
            return {"ok": False, "error": "channel_not_found" if channel is None else "message_not_found"}
        if message.get("user") != BOT_USER:
            return {"ok": False, "error": "cant_update_message"}
        message["text"] = params["text"]
        return {"ok": True, "channel": channel["id"], "ts": message["ts"], "text": message["text"],
                "message": {"text": message["text"], "user": BOT_USER}}

    def _pins_add(self, params):
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not any(m["ts"] == params.get("timestamp") for m in self.messages[channel["id"]]):
            return {"ok": False, "error": "message_not_found"}
        if params["timestamp"] in channel["pins"]:
            return {"ok": False, "error": "already_pinned"}
        channel["pins"].append(params["timestamp"])
        return {"ok": True}

    def _conversations_archive(self, params):
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel["archived"]:
            return {"ok": False, "error": "already_archived"}
        channel["archived"] = True
        return {"ok": True}

    def _conversations_history(self, params):
        """Top-level messages (and replies broadcast to the channel), newest first, `latest`/`inclusive`/`limit`;
        message metadata only with `include_all_metadata`."""
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        latest, inclusive = params.get("latest"), params.get("inclusive") in ("1", "true", True)
        shown = [m for m in reversed(self.messages[channel["id"]]) if "thread_ts" not in m or m["ts"] == m["thread_ts"]]
        if latest:
            shown = [m for m in shown if float(m["ts"]) < float(latest) or (inclusive and m["ts"] == latest)]
        limit = int(params.get("limit") or 100)
        if params.get("include_all_metadata") not in ("1", "true", True):
            shown = [{k: v for k, v in m.items() if k != "metadata"} for m in shown]
        return {"ok": True, "messages": shown[:limit], "has_more": len(shown) > limit,
                "pin_count": len(channel["pins"]), "response_metadata": {"next_cursor": ""}}

    def _conversations_replies(self, params):
        """The thread of the message `ts` (its parent first), or that message alone when it has no replies."""
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message = next((m for m in self.messages[channel["id"]] if m["ts"] == params["ts"]), None)
        if message is None:
            return {"ok": False, "error": "thread_not_found"}
        root = message.get("thread_ts", message["ts"])
        thread = [m for m in self.messages[channel["id"]] if m["ts"] == root or m.get("thread_ts") == root]
        oldest, latest = params.get("oldest"), params.get("latest")
        inside = [m for m in thread[1:] if (not oldest or float(m["ts"]) >= float(oldest))
                  and (not latest or float(m["ts"]) <= float(latest))]
        limit = int(params.get("limit") or 1000)
        return {"ok": True, "messages": ([thread[0]] + inside)[:limit], "has_more": False}

    def _users_conversations(self, params):
        """The conversations the bot is a member of (public channels here), `exclude_archived`, paged by `limit`
        with an opaque `cursor` in `response_metadata.next_cursor` ("" on the last page)."""
        shown = [c for c in self.channels.values() if BOT_USER in c["members"]
                 and not (c["archived"] and params.get("exclude_archived") in ("1", "true", True))]
        start = int(base64.b64decode(params["cursor"]).decode().split(":")[1]) if params.get("cursor") else 0
        limit = int(params.get("limit") or 100)
        page, more = shown[start:start + limit], start + limit < len(shown)
        cursor = base64.b64encode(f"channel:{start + limit}".encode()).decode() if more else ""
        return {"ok": True, "channels": [channel_json(c) for c in page], "response_metadata": {"next_cursor": cursor}}

    def _users_info(self, params):
        user = self.users.get(params.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
