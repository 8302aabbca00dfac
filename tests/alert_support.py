"""Posting alert notifications as their senders do: Alertmanager and Grafana with a bearer token, PagerDuty signed
with HMAC-SHA256, from the vendors' documented examples in tests/fixtures/alerts/ (see its README)."""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import json

from tests.support import load_fixture

SOURCE, TOKEN = "prometheus", "alert-test-token-prometheus"
GRAFANA, GRAFANA_TOKEN = "grafana", "alert-test-token-grafana"
PAGERDUTY_SECRET = "pagerduty-test-secret"
PROCESS_ALERT = "worker.alert_jobs.process_alert"
ALERTS, PAGERDUTY = "/webhooks/alerts", "/webhooks/pagerduty"


def alert_settings(settings, *, pagerduty_secrets: tuple[str, ...] = (PAGERDUTY_SECRET,)):
    """The test settings with the two alert sources and PagerDuty's secrets."""
    return dataclasses.replace(settings, alert_sources=((SOURCE, TOKEN), (GRAFANA, GRAFANA_TOKEN)),
                               pagerduty_secrets=pagerduty_secrets)


def alert_fixture(name: str) -> dict:
    """tests/fixtures/alerts/<name>.json, a fresh copy to change."""
    return load_fixture("alerts", name)


def firing() -> dict:
    """Alertmanager's notification of the InstanceDown group, one alert firing (db-1)."""
    return alert_fixture("alertmanager_firing")


def resolved() -> dict:
    return alert_fixture("alertmanager_resolved")


def with_second_alert(payload: dict) -> dict:
    """The group with db-2 firing too: its alert added; the annotations left in common are the runbook's."""
    payload = copy.deepcopy(payload)
    payload["alerts"].append(alert_fixture("alertmanager_second_alert"))
    payload["commonAnnotations"] = {"runbook_url": payload["commonAnnotations"]["runbook_url"]}
    return payload


def pagerduty_event(kind: str) -> dict:
    """PagerDuty's v3 webhook for `incident.<kind>`: triggered, acknowledged, resolved or priority_updated."""
    return alert_fixture(f"pagerduty_incident_{kind}")


def body_of(payload: dict | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def post_alertmanager(client, source: str, payload: dict | bytes, token: str | None, **headers):
    """POST to /webhooks/alerts/<source> as Alertmanager does with `http_config.authorization` (type Bearer);
    `token` None sends no Authorization header."""
    all_headers = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.28.1", **headers}
    if token is not None:
        all_headers.setdefault("Authorization", f"Bearer {token}")
    return client.post(f"{ALERTS}/{source}", data=body_of(payload), headers=all_headers)


def pagerduty_signature(secrets: str | tuple[str, ...], body: bytes) -> str:
    """X-PagerDuty-Signature: `v1=<hex HMAC-SHA256 of the body>` per secret, comma-joined (PagerDuty's
    "Verifying Signatures"), written out here rather than taken from the receiver."""
    secrets = (secrets,) if isinstance(secrets, str) else secrets
    return ",".join("v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() for secret in secrets)


def post_pagerduty(client, payload: dict | bytes, secret: str | tuple[str, ...] | None, **headers):
    """POST to /webhooks/pagerduty as PagerDuty does, signed with `secret` (several: one signature each);
    None sends no signature."""
    body = body_of(payload)
    all_headers = {"Content-Type": "application/json", "User-Agent": "PagerDuty-Webhook/V3.0", **headers}
    if secret is not None:
        all_headers.setdefault("X-PagerDuty-Signature", pagerduty_signature(secret, body))
    return client.post(PAGERDUTY, data=body, headers=all_headers)
