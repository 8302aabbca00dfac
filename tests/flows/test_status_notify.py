"""Subscribers: email through a real local SMTP server (double opt-in, one mail per update, unsubscribe),
webhooks through a real local HTTP server (signed JSON, retried), and a mail server that is down."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as email_policy
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import time_machine
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from rq.registry import ScheduledJobRegistry

from incident_desk.cli import cli
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker
from worker.queue import deliveries_queue

REPO = "Codertocat/Hello-World"
CONFIG = """components:
  - {id: api, name: Public API}
  - {id: mail, name: Email delivery}
status_page: {enabled: true, slug: hello, title: Hello status}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []
        self.raw = []  # as sent on the wire: the parsed form decodes RFC 2047 words and unfolds lines

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        self.raw.append(envelope.content)
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): CONFIG}, permissions={"alice": "write"})
    fake.add_issue(REPO, 1, "Spelling error in the README file")
    return fake


def say(client, redis_conn, github, number, text):
    post_github(client, "issue_comment", github.comment_event(REPO, number, "alice", text))
    run_worker(redis_conn)


def link_path(url: str) -> str:
    return urlsplit(url).path


def test_email_double_opt_in_one_mail_per_update_and_unsubscribe(mail_client, redis_conn, store, github,
                                                                 smtp_port):
    controller, inbox = start_smtp(smtp_port)
    try:
        say(mail_client, redis_conn, github, 1, "/incident API errors")  # records the page
        answer = mail_client.post("/status/hello/subscribe", data={"email": "ana@example.com", "component": "api"})
        assert answer.status_code == 202 and "Check your inbox" in answer.get_data(as_text=True)
        run_worker(redis_conn)
        [confirmation] = inbox.to("ana@example.com")
        assert confirmation["From"] == "status@example.com"
        [confirm] = re.findall(r"https://status\.example\.com/\S+/confirm", confirmation.get_content())

        say(mail_client, redis_conn, github, 2, "/component api\n/status identified bad deploy")
        assert len(inbox.to("ana@example.com")) == 1  # not confirmed yet: nothing but the confirmation

        assert mail_client.get(link_path(confirm)).status_code == 200
        say(mail_client, redis_conn, github, 2, "/status monitoring rolled back")
        say(mail_client, redis_conn, github, 2, "/status resolved all good")
        run_worker(redis_conn)  # nothing left to send twice
        updates = inbox.to("ana@example.com")[1:]
        assert [m["Subject"] for m in updates] == ["[Hello status] API errors: Monitoring",
                                                   "[Hello status] API errors: Resolved"]
        body = updates[0].get_content()
        assert "rolled back" in body and "Public API" in body
        unsubscribe = updates[0]["List-Unsubscribe"].strip("<>")
        assert updates[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe in body

        page = mail_client.get(link_path(unsubscribe))
        assert page.status_code == 200 and "<button" in page.get_data(as_text=True)  # GET only asks
        assert store.subscribers("hello") != []
        assert mail_client.post(link_path(unsubscribe)).status_code == 200
        assert store.subscribers("hello") == []
        say(mail_client, redis_conn, github, 2, "/status monitoring it came back")
        assert len(inbox.to("ana@example.com")) == 3
    finally:
        controller.stop()


def test_mails_carry_a_date_and_list_unsubscribe_as_is_even_when_long(mail_client, redis_conn, store, github,
                                                                     smtp_port, monkeypatch):
    """issue 13 item 33: RFC 5322 requires `Date`; RFC 2369/8058 want the bracketed URI itself, never an RFC 2047
    encoded-word, however long the URL (here a page served under a long sub-path)."""
    long_url = "https://status.example.com/" + "/".join(["incident-desk-status-pages"] * 6)
    controller, inbox = start_smtp(smtp_port)
    try:
        say(mail_client, redis_conn, github, 1, "/incident API errors")
        mail_client.post("/status/hello/subscribe", data={"email": "ana@example.com"})
        monkeypatch.setenv("PUBLIC_URL", long_url)  # the worker reads it when it sends
        run_worker(redis_conn)
        store.add_subscriber("hello", "email", "bo@example.com", [], confirmed=True)
        say(mail_client, redis_conn, github, 2, "/status identified bad deploy")
        [confirmation], [update] = inbox.to("ana@example.com"), inbox.to("bo@example.com")
        for mail in (confirmation, update):
            sent = parsedate_to_datetime(mail["Date"])
            assert sent.tzinfo is not None and abs(datetime.now(UTC) - sent) < timedelta(minutes=10)
        [subscriber] = [s for s in store.subscribers("hello") if s.address == "bo@example.com"]
        unsubscribe = f"{long_url}/status/hello/subscriptions/{subscriber.token}/unsubscribe"
        assert len(f"List-Unsubscribe: <{unsubscribe}>") > 78  # longer than a line should be: folding territory
        [raw] = [r for r in inbox.raw if b"bo@example.com" in r]
        headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        assert f"\r\nList-Unsubscribe: <{unsubscribe}>\r\n" in headers, headers
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in headers and "=?" not in headers
        assert unsubscribe in update.get_content()
    finally:
        controller.stop()


def test_the_form_sends_one_confirmation_an_hour_per_address(mail_client, redis_conn, store, github, smtp_port):
    """Posting the same address again and again must not flood its inbox; other addresses are not held up."""
    controller, inbox = start_smtp(smtp_port)
    try:
        say(mail_client, redis_conn, github, 1, "/incident API errors")  # records the page
        for address in ("victim@example.com", "VICTIM@example.com", "victim@example.com", "other@example.com"):
            answer = mail_client.post("/status/hello/subscribe", data={"email": address})
            assert answer.status_code == 202 and "Check your inbox" in answer.get_data(as_text=True)
        run_worker(redis_conn)
        assert len(inbox.to("victim@example.com")) == 1 and len(inbox.to("other@example.com")) == 1
        assert not any(b"victim" in key for key in redis_conn.keys("incident-desk:confirmation-sent:*"))

        redis_conn.delete(*redis_conn.keys("incident-desk:confirmation-sent:*"))  # an hour later
        mail_client.post("/status/hello/subscribe", data={"email": "victim@example.com"})
        run_worker(redis_conn)
        assert len(inbox.to("victim@example.com")) == 2
    finally:
        controller.stop()


def test_component_choice_filters_mail_and_bad_addresses_are_refused(mail_client, redis_conn, store, github,
                                                                     smtp_port):
    controller, inbox = start_smtp(smtp_port)
    try:
        say(mail_client, redis_conn, github, 1, "/incident API errors")
        assert mail_client.post("/status/hello/subscribe", data={"email": "not an address"}).status_code == 400
        store.add_subscriber("hello", "email", "mail-team@example.com", ["mail"], confirmed=True)
        store.add_subscriber("hello", "email", "everyone@example.com", [], confirmed=True)
        say(mail_client, redis_conn, github, 2, "/component api\n/status identified bad deploy")
        assert inbox.to("mail-team@example.com") == []
        assert len(inbox.to("everyone@example.com")) == 1
    finally:
        controller.stop()


def test_smtp_down_delays_the_mail_but_loses_nothing(mail_client, redis_conn, store, github, smtp_port,
                                                     monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_RETRY_BASE_SECONDS", "60")
    say(mail_client, redis_conn, github, 1, "/incident API errors")
    store.add_subscriber("hello", "email", "ana@example.com", [], confirmed=True)
    say(mail_client, redis_conn, github, 2, "/status identified bad deploy")  # SMTP is down

    incident = store.get_incident("github", REPO, 2)
    assert incident.status.value == "identified"  # the status change went through regardless
    registry = ScheduledJobRegistry(queue=deliveries_queue(redis_conn))
    assert len(registry.get_job_ids()) >= 1  # the notification waits for its retry

    controller, inbox = start_smtp(smtp_port)
    try:
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
            run_worker(redis_conn)
        [mail] = inbox.to("ana@example.com")
        assert "bad deploy" in mail.get_content()
        run_worker(redis_conn)
        assert len(inbox.to("ana@example.com")) == 1
    finally:
        controller.stop()


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.received.append((dict(self.headers), body))
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.answers, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver
    server.shutdown()


def test_webhook_subscriber_gets_signed_json_retried_after_a_502(client, redis_conn, store, github, receiver,
                                                                 fake_api):
    url, hook = receiver
    fake_api.add_passthru(url)  # only the forges' APIs are faked; the subscriber is a real server
    say(client, redis_conn, github, 1, "/incident API errors")
    result = CliRunner().invoke(cli, ["status", "subscribe", "hello", "--webhook", url, "--component", "api"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"signing secret .*: ([0-9a-f]{64})", result.output).group(1)

    hook.answers = [502]  # the first try fails; the retry (base delay 0 in tests) goes through
    say(client, redis_conn, github, 2, "/component api\n/severity major-outage\n/status identified bad deploy")
    [(headers, body)] = hook.received
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Incident-Desk-Signature"] == expected
    data = json.loads(body)
    assert data["incident"]["name"] == "API errors" and data["page"]["status_indicator"] == "critical"
    assert data["incident"]["incident_updates"][0]["body"] == "bad deploy"
    assert data["incident"]["incident_updates"][0]["affected_components"] == [
        {"code": "api", "name": "Public API", "old_status": "operational", "new_status": "major_outage"}]


def test_status_cli_refuses_bad_input_with_exit_2(client, redis_conn, store, github, tmp_path):
    say(client, redis_conn, github, 1, "/incident API errors")
    for args in (["status", "subscribe", "hello"], ["status", "subscribe", "nope", "--email", "a@b.co"],
                 ["status", "subscribe", "hello", "--webhook", "ftp://x"],
                 ["status", "subscribe", "hello", "--email", "a@b.co", "--component", "db"],
                 ["status", "export", str(tmp_path), "--slug", "nope"]):
        result = subprocess.run([sys.executable, "-m", "incident_desk.cli", *args], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("incident-desk: error:") and result.stderr.count("\n") == 1


def test_rq_s_own_retry_reruns_a_notification_then_fails_it(mail_client, redis_conn, store, github, monkeypatch):
    """issue 14 item 2: the worker `incident-desk worker` runs (its job class and exception handler) leaves a
    notification that raised RQ's Retry, which schedules it with capped backoff; the last try ends failed."""
    from rq import SimpleWorker
    from rq.job import Job
    from rq.registry import FailedJobRegistry
    from rq.serializers import JSONSerializer

    from store.models import NotificationRow
    from worker.queue import deliveries_worker

    monkeypatch.setenv("INCIDENT_DESK_RETRY_BASE_SECONDS", "60")
    monkeypatch.setenv("INCIDENT_DESK_NOTIFY_MAX_ATTEMPTS", "3")
    say(mail_client, redis_conn, github, 1, "/incident API errors")
    store.add_subscriber("hello", "email", "ana@example.com", [], confirmed=True)
    post_github(mail_client, "issue_comment", github.comment_event(REPO, 2, "alice", "/status identified bad deploy"))

    def work(minutes: float):  # SMTP is down throughout
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes)):
            deliveries_worker(redis_conn, SimpleWorker).work(burst=True, with_scheduler=True, logging_level="WARNING")

    work(0)
    scheduled = ScheduledJobRegistry(queue=deliveries_queue(redis_conn))
    [job_id] = [j for j in scheduled.get_job_ids() if j.startswith("notify-")]
    job = Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer)
    assert job.retries_left == 1 and len(job.retry_intervals) == 2
    assert 60 <= job.retry_intervals[0] <= 75 and 120 <= job.retry_intervals[1] <= 150
    work(5)
    assert job_id in scheduled.get_job_ids()  # the same job, run again by RQ: no job of our own
    work(15)
    assert job_id in FailedJobRegistry(queue=deliveries_queue(redis_conn)).get_job_ids()
    with store.session() as s:
        [row] = s.query(NotificationRow).all()
        assert row.attempts == 3 and row.sent_at is None and "mail server unreachable" in row.last_error
