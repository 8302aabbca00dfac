"""Webhook endpoints: verify, dedupe, enqueue, answer. Nothing else happens here."""
from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from forges.normalize import is_handled
from incident_desk.logs import log_event
from webhook_app import metrics
from webhook_app.deliveries import accept
from webhook_app.signatures import github_signature_valid, gitlab_token_valid
from worker.queue import pinned

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("incident_desk.webhooks")


def _answer(status: int, platform: str, event: str, delivery_id: str, outcome: str, started: float,
            counted: bool = False):
    if not counted:  # accept() counts queued and duplicate deliveries in its own Redis round trip
        metrics.count_delivery(current_app.extensions["redis"], platform, event or "-", outcome)
    log_event(log, platform=platform, event=event, delivery_id=delivery_id, outcome=outcome, status=status,
              duration_ms=round((time.monotonic() - started) * 1000, 2))
    return jsonify({"outcome": outcome, "delivery_id": delivery_id}), status


def _payload() -> tuple[dict | None, str]:
    """The parsed JSON object (None when the body is not one) and the body as text."""
    try:
        text = request.get_data().decode("utf-8")
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None, ""
    return (data, text) if isinstance(data, dict) else (None, "")


def _receive(platform: str, event: str, delivery_id: str, scope_of, installation_of, started: float):
    payload, text = _payload()
    if payload is None:
        return _answer(400, platform, event, delivery_id, "malformed-json", started)
    if event == "ping":
        return _answer(200, platform, event, delivery_id, "pong", started)
    if not is_handled(platform, event):
        return _answer(202, platform, event, delivery_id, "ignored", started)
    outcome = accept(pinned(current_app.extensions["redis"]), platform, scope_of(payload), delivery_id, event,
                     text, installation_of(payload), current_app.extensions["queue"])
    return _answer(202, platform, event, delivery_id, outcome, started, counted=True)


def _dig(payload: dict, *path):
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload


@bp.post("/webhooks/github")
def github():
    started = time.monotonic()
    event = request.headers.get("X-GitHub-Event", "")
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    secret = current_app.config["SETTINGS"].github_webhook_secret
    if not github_signature_valid(secret, request.get_data(), request.headers.get("X-Hub-Signature-256")):
        return _answer(401, "github", event, delivery_id, "bad-signature", started)
    if not event or not delivery_id:
        return _answer(400, "github", event, delivery_id, "missing-headers", started)

    def installation(payload):
        value = _dig(payload, "installation", "id")
        return value if isinstance(value, int) else None

    def scope(payload):
        return str(installation(payload) or _dig(payload, "repository", "id") or "-")

    return _receive("github", event, delivery_id, scope, installation, started)


@bp.post("/webhooks/gitlab")
def gitlab():
    started = time.monotonic()
    event = request.headers.get("X-Gitlab-Event", "")
    # Retries repeat Idempotency-Key; the event UUID identifies the event itself.
    delivery_id = request.headers.get("Idempotency-Key") or request.headers.get("X-Gitlab-Event-UUID", "")
    secret = current_app.config["SETTINGS"].gitlab_webhook_secret
    if not gitlab_token_valid(secret, request.headers.get("X-Gitlab-Token")):
        return _answer(401, "gitlab", event, delivery_id, "bad-token", started)
    if not event or not delivery_id:
        return _answer(400, "gitlab", event, delivery_id, "missing-headers", started)

    def scope(payload):
        return str(_dig(payload, "project", "id") or payload.get("project_id") or "-")

    return _receive("gitlab", event, delivery_id, scope, lambda payload: None, started)


@bp.get("/healthz")
def healthz():
    checks = {}
    for name, probe in (("redis", lambda: current_app.extensions["redis"].ping()),
                        ("database", lambda: current_app.extensions["store"].ping())):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # any failure means not healthy; say which
            checks[name] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if healthy else "unavailable", **checks}), 200 if healthy else 503


@bp.get("/metrics")
def prometheus_metrics():
    return metrics.render(current_app.extensions["redis"]), 200, {"Content-Type": CONTENT_TYPE_LATEST}
