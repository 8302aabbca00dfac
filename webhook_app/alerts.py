"""Alert notifications: verify, dedupe, enqueue, answer, as the forge webhooks are (DESIGN "Beyond the issue").

`POST /webhooks/alerts/<source>`: Alertmanager's or Grafana's webhook from a source the operator named in
INCIDENT_DESK_ALERT_SOURCES, with that source's token as `Authorization: Bearer <token>` (Alertmanager's
`http_config.authorization`, Grafana's contact point "Authorization Header"). `POST /webhooks/pagerduty`:
PagerDuty's v3 webhooks, signed `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>[,v1=...]` with any
of PAGERDUTY_WEBHOOK_SECRETS. Both compared in constant time.

Each notification is read (alerts.payloads) only to know whether it is well formed and what makes it a repeat:
Alertmanager re-sends a firing group every repeat_interval, and the same notice key within 72 hours is one job
(worker.alert_jobs.process_alert(source, delivery_id, payload)), queued through the forge deliveries' one-script
ack path. No handler and no forge call here. Counted in /metrics as deliveries of platform "alerts", event the
source's name (or "pagerduty"), outcome queued, duplicate, ignored, refused or malformed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import orjson
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from alerts.payloads import PAGERDUTY, PayloadError, notice_key, read_alertmanager, read_pagerduty
from forges.normalize import too_deep
from incident_desk.logs import log_event
from incident_desk.settings import MAX_BODY_BYTES
from webhook_app import metrics
from webhook_app.deliveries import PAYLOAD, accept
from worker.queue import pinned

bp = Blueprint("alerts", __name__)
log = logging.getLogger("incident_desk.webhooks")
PLATFORM = "alerts"
PROCESS_ALERT = "worker.alert_jobs.process_alert"  # by name: the web process never imports the worker's jobs
REFUSED, MALFORMED, IGNORED = "refused", "malformed", "ignored"
UNKNOWN_SOURCE = "other"  # the metric's label for a source nobody configured: a URL must not make labels


class Outcome(Exception):
    """Answered with this status, outcome and reason; nothing is queued."""

    def __init__(self, status: int, outcome: str, reason: str):
        super().__init__(reason)
        self.status, self.outcome, self.reason = status, outcome, reason


@bp.post("/webhooks/alerts/<source>")
def alertmanager(source: str) -> Response:
    started = time.monotonic()
    tokens = dict(current_app.config["SETTINGS"].alert_sources)
    label = source if source in tokens else UNKNOWN_SOURCE
    try:
        if label == UNKNOWN_SOURCE:
            raise Outcome(401, REFUSED, "unknown-source")
        if not bearer_token_valid(tokens[source], request.headers.get("Authorization")):
            raise Outcome(401, REFUSED, "bad-token")
        body = _body()
        notice = _read(lambda payload: read_alertmanager(source, payload), body)
    except Outcome as refusal:
        return _answer(label, "", refusal, started)
    return _queue(source, source, notice_key(notice), body, started)


@bp.post("/webhooks/pagerduty")
def pagerduty() -> Response:
    started = time.monotonic()
    secrets = current_app.config["SETTINGS"].pagerduty_secrets
    try:
        if not secrets:
            raise Outcome(401, REFUSED, "not-configured")
        body = _body()
        if not pagerduty_signature_valid(secrets, body, request.headers.get("X-PagerDuty-Signature")):
            raise Outcome(401, REFUSED, "bad-signature")
        notice = _read(read_pagerduty, body)
        if notice is None:
            raise Outcome(202, IGNORED, "event-type")
    except Outcome as refusal:
        return _answer(PAGERDUTY, "", refusal, started)
    return _queue(PAGERDUTY, PAGERDUTY, notice_key(notice), body, started)


def bearer_token_valid(token: str, header: str | None) -> bool:
    """Whether `header` is `Bearer <token>` (the scheme in any case, as RFC 9110 has it)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogatepass"), token.encode())


def pagerduty_signature_valid(secrets: tuple[str, ...], body: bytes, header: str | None) -> bool:
    """Whether any `v1=` signature in `header` is the HMAC-SHA256 of `body` under any of `secrets`.

    PagerDuty signs with each of a subscription's secrets during a rotation and joins the signatures with
    commas; we may hold the old and the new secret meanwhile. Every pair is compared, in constant time."""
    given = [item.strip()[3:].encode("utf-8", "surrogatepass") for item in (header or "").split(",")
             if item.strip().startswith("v1=")]
    expected = [hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode() for secret in secrets]
    return any([hmac.compare_digest(mine, theirs) for mine in expected for theirs in given])


def _body() -> bytes:
    """The raw body; 413 over the limit, declared or chunked (as webhook_app.routes reads forge bodies)."""
    try:
        body = request.get_data()
    except RequestEntityTooLarge:
        raise Outcome(413, MALFORMED, "too-large") from None
    if request.content_length is None and len(body) >= MAX_BODY_BYTES and request.environ["wsgi.input"].read(1):
        raise Outcome(413, MALFORMED, "too-large")
    return body


def _read(reader, body: bytes):
    """The body's JSON object read by `reader` (alerts.payloads), or Outcome(400)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:  # the json module, which the worker reads jobs with, decides (routes.py)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            raise Outcome(400, MALFORMED, "malformed-json") from None
    if not isinstance(payload, dict):
        raise Outcome(400, MALFORMED, "malformed-json")
    if too_deep(body, payload):
        raise Outcome(400, MALFORMED, "too-deep")
    try:
        return reader(payload)
    except PayloadError as exc:
        log_event(log, platform=PLATFORM, error=str(exc))  # the fields that failed, never their values
        raise Outcome(400, MALFORMED, "invalid-payload") from None


def delivery_id_of(key: str) -> str:
    """The notice key's digest: the delivery id and, with the source, the job id."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def _queue(source: str, label: str, key: str, body: bytes, started: float) -> Response:
    delivery_id = delivery_id_of(key)
    outcome = accept(pinned(current_app.extensions["redis"]), PLATFORM, source, delivery_id, label, body, None,
                     current_app.extensions["queue"], function=PROCESS_ALERT, args=(source, delivery_id, PAYLOAD))
    return _answer(label, delivery_id, Outcome(202, outcome, ""), started, counted=True)


def _answer(label: str, delivery_id: str, result: Outcome, started: float, counted: bool = False) -> Response:
    """Count (unless accept() did, in its own Redis round trip), log and answer JSON."""
    if not counted:
        metrics.count_delivery(current_app.extensions["redis"], PLATFORM, label, result.outcome)
    log_event(log, platform=PLATFORM, event=label, delivery_id=delivery_id, outcome=result.outcome,
              reason=result.reason or None, status=result.status,
              duration_ms=round((time.monotonic() - started) * 1000, 2))
    answer: dict = {"outcome": result.outcome}
    if result.reason:
        answer["reason"] = result.reason
    if result.reason == "too-large":
        answer["limit_bytes"] = MAX_BODY_BYTES
    if delivery_id:
        answer["delivery_id"] = delivery_id
    return Response(orjson.dumps(answer), result.status, mimetype="application/json")
