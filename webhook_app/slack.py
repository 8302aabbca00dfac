"""Slack's requests: verify, dedupe, enqueue, answer, as the forge webhooks are (DESIGN "Beyond the issue").

No Slack call and no handler here: the worker (worker.chat_jobs.process_slack) does the work and
answers a slash command through its response_url. Each request is checked with slack_sdk's
SignatureVerifier (HMAC over `v0:<timestamp>:<raw body>`, at most 5 minutes old); a workspace other
than SLACK_TEAM_ID is refused; what is not ours (another reaction, another shortcut) is answered and
dropped; the rest is queued once per `event_id` (events; Slack's retries carry X-Slack-Retry-Num) or
`trigger_id` (slash commands, shortcuts), through the same one-script ack path as a forge delivery.
"""
from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qsl

import orjson
from flask import Blueprint, Response, abort, current_app, request
from slack_sdk.signature import SignatureVerifier

from chat.events import ChatCommand
from chat.slack_events import COMMAND, EVENT, INTERACTION, ack_text, team_of, to_chat_event, usage, wants_help
from forges.normalize import too_deep
from incident_desk.logs import log_event
from incident_desk.settings import MAX_BODY_BYTES
from webhook_app import metrics
from webhook_app.deliveries import PAYLOAD, accept
from worker.queue import pinned

bp = Blueprint("slack", __name__)
log = logging.getLogger("incident_desk.webhooks")
PLATFORM = "slack"
PROCESS_SLACK = "worker.chat_jobs.process_slack"  # by name: the web process never imports the worker's jobs
MAX_AGE_SECONDS = 5 * 60  # SignatureVerifier's window, said here for the outcome it logs
MAX_FORM_FIELDS = 100  # a slash command has about 15


class Refused(Exception):
    """The request is answered with this status and outcome, and nothing is queued."""

    def __init__(self, status: int, outcome: str):
        super().__init__(outcome)
        self.status, self.outcome = status, outcome


@bp.post("/webhooks/slack/commands")
def commands():
    return _receive(COMMAND, _form_fields)


@bp.post("/webhooks/slack/events")
def events():
    return _receive(EVENT, lambda body: (_json_object(body), body))


@bp.post("/webhooks/slack/interactions")
def interactions():
    return _receive(INTERACTION, _interaction)


def _receive(kind: str, read) -> Response:
    started = time.monotonic()
    settings = current_app.config["SETTINGS"]
    try:
        body = _signed_body(settings.slack_signing_secret)
        payload, job_body = read(body)
        if kind == EVENT and payload.get("type") == "url_verification":
            return _challenge(payload, started)
        team = team_of(kind, payload)
        if settings.slack_team_id and team != settings.slack_team_id:
            raise Refused(403, "other-team")
        if kind == COMMAND and wants_help(payload.get("text") or ""):
            return _answer(kind, "", 200, "help", started, _ephemeral(usage()))
        event = to_chat_event(kind, payload)
        if event is None:
            if kind == COMMAND:  # every slash command is ours: one that cannot be read is malformed
                raise Refused(400, "missing-fields")
            return _answer(kind, "", 200, "ignored", started)
    except Refused as refusal:
        return _answer(kind, "", refusal.status, refusal.outcome, started, _outcome(refusal.outcome))
    delivery_id = event.trigger if isinstance(event, ChatCommand) else event.delivery_id
    outcome = accept(pinned(current_app.extensions["redis"]), PLATFORM, team or "-", delivery_id, kind, job_body,
                     None, current_app.extensions["queue"], function=PROCESS_SLACK,
                     args=(kind, delivery_id, PAYLOAD))
    answer = _ephemeral(ack_text(payload.get("text") or "")) if kind == COMMAND else None
    return _answer(kind, delivery_id, 200, outcome, started, answer, counted=True)


def _signed_body(secret: str | None) -> bytes:
    """The raw body, when Slack signed it in the last 5 minutes; Refused(401) otherwise."""
    if not secret:
        raise Refused(401, "not-configured")
    headers = request.headers
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):  # int() and compare_digest
        raise Refused(401, "bad-signature")
    body = _body()
    try:
        valid = SignatureVerifier(secret).is_valid(body, timestamp, signature)
    except ValueError:  # a body that is not UTF-8, which Slack never sends
        valid = False
    if valid:
        return body
    raise Refused(401, "stale" if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS else "bad-signature")


def _body() -> bytes:
    """The raw body; 413 when a chunked one runs past the limit (as webhook_app.routes reads forge bodies)."""
    body = request.get_data()
    if request.content_length is None and len(body) >= MAX_BODY_BYTES and request.environ["wsgi.input"].read(1):
        abort(413)
    return body


def _form_fields(body: bytes) -> tuple[dict, bytes]:
    """A slash command's form fields as a JSON object, and that object's text for the job."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # not UTF-8, or too many fields
        raise Refused(400, "malformed-form") from None
    fields = dict(pairs)
    return fields, orjson.dumps(fields)


def _interaction(body: bytes) -> tuple[dict, bytes]:
    """An interaction's `payload` form field, a JSON object, and its text for the job."""
    fields, _ = _form_fields(body)
    text = fields.get("payload")
    if not text:
        raise Refused(400, "missing-fields")
    job_body = text.encode()
    return _json_object(job_body), job_body


def _json_object(body: bytes) -> dict:
    """The body's JSON object, as the worker's json module will read it (see webhook_app.routes)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            raise Refused(400, "malformed-json") from None
    if not isinstance(data, dict):
        raise Refused(400, "malformed-json")
    if too_deep(body, data):
        raise Refused(400, "too-deep")
    return data


def _challenge(payload: dict, started: float) -> Response:
    """Slack's url_verification: answered with its challenge, once the request's signature holds."""
    challenge = payload.get("challenge")
    if not isinstance(challenge, str):
        return _answer(EVENT, "", 400, "missing-fields", started, _outcome("missing-fields"))
    return _answer(EVENT, "", 200, "challenge", started, {"challenge": challenge})


def _ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}


def _outcome(outcome: str) -> dict:
    return {"outcome": outcome}


def _answer(kind: str, delivery_id: str, status: int, outcome: str, started: float, body: dict | None = None,
            counted: bool = False) -> Response:
    """Count and log the request, and answer: `body` as JSON, or empty (what Slack wants for events)."""
    if not counted:  # accept() counts queued and duplicate requests in its own Redis round trip
        metrics.count_delivery(current_app.extensions["redis"], PLATFORM, kind, outcome)
    retry = request.headers.get("X-Slack-Retry-Num", "")[:4] or None  # Slack's retries say which they are
    log_event(log, platform=PLATFORM, event=kind, delivery_id=delivery_id, outcome=outcome, status=status,
              retry=retry, duration_ms=round((time.monotonic() - started) * 1000, 2))
    if body is None:
        return Response(b"", status)
    return Response(orjson.dumps(body), status, mimetype="application/json")
