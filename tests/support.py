"""What tests share besides fixtures: the fake environment's constants, real webhook payloads,
signed posts to the receiver, a burst worker, and reading what was sent to a faked API."""
from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC
from pathlib import Path

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from incident_desk.signing import sha256_signature as github_signature

FIXTURES = Path(__file__).parent / "fixtures"
GITHUB_API = "https://api.github.com"
# PyGithub spells out the port on every request it sends; mocks match what is sent.
GITHUB_REST = "https://api.github.com:443"
GITLAB_URL = "https://gitlab.example.com"
GITHUB_SECRET = "github-test-secret"
GITLAB_SECRET = "gitlab-test-secret"
BOT_LOGIN = "incident-desk-bot"
GITLAB_EVENTS = {"issue": "Issue Hook", "note": "Note Hook", "merge_request": "Merge Request Hook"}


def load_fixture(platform: str, name: str) -> dict:
    """A real payload from tests/fixtures/<platform>/<name>.json, as a fresh dict to modify."""
    return copy.deepcopy(json.loads((FIXTURES / platform / f"{name}.json").read_text()))


def post_github(client, event: str, payload: dict | bytes, delivery_id: str | None = None,
                secret: str = GITHUB_SECRET, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
                   "X-Hub-Signature-256": github_signature(secret, body), "Content-Type": "application/json"}
    all_headers.update(headers)
    return client.post("/webhooks/github", data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def post_gitlab(client, event: str, payload: dict | bytes, delivery_id: str | None = None,
                token: str | None = GITLAB_SECRET, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": delivery_id or str(uuid.uuid4()),
                   "X-Gitlab-Token": token, "Content-Type": "application/json"}
    all_headers.update(headers)
    return client.post("/webhooks/gitlab", data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def run_worker(redis_conn) -> bool:
    """Process every queued job (and due retries) in this process, as `incident-desk worker --burst` does."""
    from worker.queue import DELIVERIES

    worker = SimpleWorker([DELIVERIES], connection=redis_conn, serializer=JSONSerializer)
    return worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def request_json(call) -> dict:
    body = call.request.body
    return json.loads(body.decode() if isinstance(body, bytes) else body)


def now_iso() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sent(api, method: str, path_end: str) -> list:
    """JSON bodies of the requests sent with `method` to a URL whose path ends with `path_end`."""
    return [request_json(c) for c in api.calls
            if c.request.method == method and c.request.url.split("?")[0].endswith(path_end)]
