"""A local fake of Slack for trying Incident Desk by hand (the README's "Connect Slack", issue 16).

    PYTHONPATH=. python tools/fake_slack.py serve [--port 8765] [--user U2147483697=steve=steve@example.com]

serves the Web API at http://127.0.0.1:8765/api/ (run the worker with SLACK_API_URL set to that) on the same
stateful fake the tests use (tests/fakes/slack.py), printing every call; response_url answers arrive at
http://127.0.0.1:8765/response/… and are printed too; GET http://127.0.0.1:8765/ shows channels and messages as JSON.

    PYTHONPATH=. SLACK_SIGNING_SECRET=… python tools/fake_slack.py command "db is down" [--app http://127.0.0.1:8000]
    PYTHONPATH=. SLACK_SIGNING_SECRET=… python tools/fake_slack.py pin C00000001 1733212800.000002

send the running app, signed as Slack signs, a `/incident` slash command (form-encoded, Slack's documented fields)
whose response_url points at the fake, or a 📌 `reaction_added` event on a channel message.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import requests
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fakes.slack import SLACK_TEAM, FakeSlack  # noqa: E402 - the fake lives with the tests

DEFAULT_USER = "U2147483697=steve=steve@example.com"  # the user of Slack's slash command example
_lock = threading.Lock()


def _params(handler: BaseHTTPRequestHandler, body: bytes) -> dict:
    if "json" in (handler.headers.get("Content-Type") or ""):
        return json.loads(body or b"{}")
    return {key: values[-1] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()}


def make_handler(fake: FakeSlack, out=sys.stdout):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: str, headers: dict | None = None, content_type="application/json"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's name
            with _lock:
                state = {"channels": fake.channels, "messages": fake.messages, "responses": fake.responses_posted}
                self._answer(200, json.dumps(state, indent=2))

        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/response/"):
                with _lock:
                    fake.responses_posted.append((self.path, json.loads(body or b"{}")))
                print(f"response_url  {body.decode()}", file=out, flush=True)
                return self._answer(200, "ok", content_type="text/html")
            if not self.path.startswith("/api/"):
                return self._answer(404, json.dumps({"ok": False, "error": "unknown_method"}))
            method = self.path[len("/api/"):].split("?")[0]
            if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                return self._answer(200, json.dumps({"ok": False, "error": "not_authed"}))
            params = _params(self, body)
            with _lock:
                status, headers, answer = fake.handle(method, params)
            print(f"{method:22} {json.dumps(params, ensure_ascii=False)} -> "
                  f"{'ok' if answer.get('ok') else answer.get('error')}", file=out, flush=True)
            self._answer(status, json.dumps(answer), headers)

        def log_message(self, *args):  # the calls are printed above, one line each
            pass

    return Handler


def seeded_fake(users: list[str]) -> FakeSlack:
    fake = FakeSlack()
    for entry in users:
        user_id, _, rest = entry.partition("=")
        name, _, email = rest.partition("=")
        fake.add_user(user_id, name or user_id.lower(), email or None)
    return fake


def serve(port: int, users: list[str]) -> None:
    fake = seeded_fake(users)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(fake))
    print(f"fake Slack at http://127.0.0.1:{port}/api/ (SLACK_API_URL); users: {', '.join(fake.users)}", flush=True)
    server.serve_forever()


def signed_headers(secret: str, body: str, content_type: str) -> dict:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature or "",
            "Content-Type": content_type}


def command_body(text: str, fake_url: str, user: str, channel: str) -> str:
    """A slash command as Slack posts it (the fields of Slack's documented example)."""
    return urlencode({"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": SLACK_TEAM, "team_domain": "example",
                      "channel_id": channel, "channel_name": "incident-desk", "user_id": user,
                      "user_name": "steve", "command": "/incident", "text": text,
                      "response_url": f"{fake_url}/response/{uuid.uuid4().hex}",
                      "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:12]}",
                      "api_app_id": "A0INCIDENT"})


def pin_body(channel: str, ts: str, user: str) -> str:
    """A 📌 reaction_added event_callback, as the Events API posts it."""
    now = int(time.time())
    return json.dumps({"token": "XXYYZZ", "team_id": SLACK_TEAM, "api_app_id": "A0INCIDENT", "type": "event_callback",
                       "event": {"type": "reaction_added", "user": user, "reaction": "pushpin", "item_user": user,
                                 "item": {"type": "message", "channel": channel, "ts": ts},
                                 "event_ts": f"{now}.000100"},
                       "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": now})


def send(app: str, path: str, body: str, content_type: str) -> None:
    secret = os.environ.get("SLACK_SIGNING_SECRET")
    if not secret:
        sys.exit("SLACK_SIGNING_SECRET is not set: the app refuses unsigned posts")
    answer = requests.post(f"{app.rstrip('/')}{path}", data=body.encode(),
                           headers=signed_headers(secret, body, content_type), timeout=10)
    print(answer.status_code, answer.text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    run = sub.add_parser("serve", help="serve the fake Web API")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument("--user", action="append", help="ID=name=email (repeatable)")
    for name in ("command", "pin"):
        one = sub.add_parser(name, help="send the app a signed slash command" if name == "command"
                             else "send the app a signed 📌 reaction on a message")
        one.add_argument("args", nargs="+", help="the command's text" if name == "command" else "CHANNEL TS")
        one.add_argument("--app", default="http://127.0.0.1:8000")
        one.add_argument("--fake", default="http://127.0.0.1:8765")
        one.add_argument("--user", default=DEFAULT_USER.split("=")[0])
        one.add_argument("--channel", default="C0INCIDENT")
    args = parser.parse_args(argv)
    if args.what == "serve":
        serve(args.port, args.user or [DEFAULT_USER])
    elif args.what == "command":
        body = command_body(" ".join(args.args), args.fake.rstrip("/"), args.user, args.channel)
        send(args.app, "/webhooks/slack/commands", body, "application/x-www-form-urlencoded")
    else:
        send(args.app, "/webhooks/slack/events", pin_body(args.args[0], args.args[1], args.user), "application/json")


if __name__ == "__main__":
    main()
