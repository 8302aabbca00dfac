"""Posting to the Slack routes as Slack does: signed form-encoded slash commands and interactions, JSON events,
built from Slack's documented examples in tests/fixtures/slack/."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from tests.support import load_fixture

SECRET = "slack-test-signing-secret"
PROCESS_SLACK = "worker.chat_jobs.process_slack"
COMMANDS, EVENTS, INTERACTIONS = "/webhooks/slack/commands", "/webhooks/slack/events", "/webhooks/slack/interactions"


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature, written out here rather than taken from slack_sdk, which the receiver uses."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def post_slack(client, path: str, body: bytes, content_type: str, *, secret: str = SECRET, age: int = 0,
               **headers):
    timestamp = str(int(time.time()) - age)
    all_headers = {"X-Slack-Request-Timestamp": timestamp, "Content-Type": content_type,
                   "X-Slack-Signature": slack_signature(secret, timestamp, body), **headers}
    return client.post(path, data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def post_command(client, fields: dict, **options):
    return post_slack(client, COMMANDS, urlencode(fields).encode(), "application/x-www-form-urlencoded", **options)


def post_event(client, payload: dict, **options):
    return post_slack(client, EVENTS, json.dumps(payload).encode(), "application/json", **options)


def post_interaction(client, payload: dict, **options):
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return post_slack(client, INTERACTIONS, body, "application/x-www-form-urlencoded", **options)


def command(text: str = "db is down", **changes) -> dict:
    return {**load_fixture("slack", "slash_command"), "command": "/incident", "text": text, **changes}


def pushpin() -> dict:
    payload = load_fixture("slack", "reaction_added")
    payload["event"]["reaction"] = "pushpin"
    return payload


def shortcut() -> dict:
    return {**load_fixture("slack", "message_shortcut"), "callback_id": "add_to_timeline"}
