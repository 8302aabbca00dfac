"""Telling subscribers: each published update fans out into one job per subscriber (email through SMTP,
or a signed JSON POST), retried with backoff by RQ's own Retry. These jobs run after the status change is saved, so a
mail server or webhook that is down delays a notification but never blocks or loses anything."""
from __future__ import annotations

import email.policy
import json
import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from rq import get_current_job

from incident_desk.logs import log_event
from incident_desk.settings import Settings
from incident_desk.signing import sha256_signature
from incidents.maintenance import (
    components_with_maintenance,
    maintenance_json,
    notice_body,
    step_title,
    under_maintenance,
)
from incidents.status_page import components_json, incident_json, local_time, page_json, stamp, status_json
from worker.bootstrap import runtime
from worker.queue import RETRIED_WHEN_RAISED, RetryLater, connection, deliveries_queue, notify_retry

__all__ = ["notify_subscribers", "send_confirmation", "send_maintenance_notice", "send_notification"]

log = logging.getLogger("incident_desk.notify")
WEBHOOK_TIMEOUT = 10
SIGNATURE_HEADER = "X-Incident-Desk-Signature"
USER_AGENT = "Incident-Desk-Status-Page"
# Headers fold at RFC 5322's hard limit, not 78: the default policy turns a long unbreakable value such as
# List-Unsubscribe's URL into RFC 2047 encoded-words, which RFC 2369/8058 clients do not decode.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


class TransientNotifyError(RetryLater):
    """Worth trying again later: the server is down, busy or timed out. RQ's Retry runs the job again."""


class PermanentNotifyError(Exception):
    """Trying again will not help: the address or endpoint refuses it."""


def notify_subscribers(update_id: int) -> str:
    """One job per confirmed subscriber of every page that shows the incident and wants its components."""
    settings, store = _runtime()
    found = store.update_context(update_id)
    if found is None:
        return "not public"
    incident, public, _update = found
    queue = deliveries_queue(connection(settings.redis_url))
    queued, retry = 0, notify_retry(settings)
    for page in store.pages_showing(incident.platform, incident.repository):
        for subscriber in store.subscribers(page.slug):
            if subscriber.wants(public):
                queue.enqueue(send_notification, update_id, subscriber.id, page.slug,
                              job_id=f"notify-{update_id}-{subscriber.id}", **retry)
                queued += 1
    return f"{queued} notification(s) queued"


def send_notification(update_id: int, subscriber_id: int, slug: str, attempt: int = 1) -> str:
    """Send one update to one subscriber, unless that was done already. (`attempt` is passed only by jobs
    queued before RQ's Retry took over; it is ignored.)"""
    settings, store = _runtime()
    found, subscriber, page = store.update_context(update_id), store.subscriber(id=subscriber_id), \
        store.status_page(slug)
    if found is None or subscriber is None or page is None:
        return "nothing to send"
    if not store.notification_attempt(update_id, subscriber_id):
        return "already sent"
    incident, public, update = found
    page = page[0]
    return _deliver(settings, subscriber, lambda: update_email(settings, page, public, update, subscriber),
                    lambda: webhook_body(settings, page, public, store),
                    lambda error=None: store.notification_done(update_id, subscriber_id, error),
                    dict(update_id=update_id, subscriber_id=subscriber_id))


def _deliver(settings: Settings, subscriber, mail, webhook, done, said: dict) -> str:
    """Mail or post to one subscriber (`mail` and `webhook` build what is sent), then `done(error)` records the
    attempt: "sent", "refused" for good, or a transient error raised for RQ's Retry."""
    try:
        if subscriber.kind == "email":
            _send_mail(settings, mail())
        else:
            _post_webhook(subscriber, webhook())
    except PermanentNotifyError as exc:
        done(str(exc))
        log_event(log, **said, outcome="refused", reason=str(exc))
        return "refused"
    except TransientNotifyError as exc:
        done(str(exc))
        _retry_or_fail(exc)
    done()
    log_event(log, **said, kind=subscriber.kind, outcome="sent")
    return "sent"


def send_confirmation(subscriber_id: int, attempt: int = 1) -> str:
    """The double opt-in mail: nothing is sent to an address until its owner follows this link.
    (`attempt`, as for send_notification, is ignored.)"""
    settings, store = _runtime()
    subscriber = store.subscriber(id=subscriber_id)
    found = store.status_page(subscriber.slug) if subscriber else None
    if subscriber is None or found is None or subscriber.confirmed_at is not None:
        return "nothing to send"
    page = found[0]
    message = _message(settings, subscriber.address, f"[{page.title}] Confirm your subscription")
    message.set_content(CONFIRM_TEXT.format(title=page.title, confirm=_link(settings, page.slug, subscriber.token,
                                                                            "confirm")))
    try:
        _send_mail(settings, message)
    except TransientNotifyError as exc:
        _retry_or_fail(exc)
    except PermanentNotifyError:
        return "refused"
    return "sent"


CONFIRM_TEXT = """Someone, hopefully you, asked to receive the incident updates of {title}.

Confirm the subscription: {confirm}

If it was not you, ignore this mail: nothing will be sent.
"""
UPDATE_TEXT = """{name}

{status} - {message}
{workaround}
Affected: {components}
Posted {at}

Details: {incident_url}

--
You receive this because you subscribed to {title}.
Unsubscribe: {unsubscribe}
"""


def update_email(settings: Settings, page, public, update, subscriber) -> EmailMessage:
    names = {c.id: c.name for c in page.components}
    unsubscribe = _link(settings, page.slug, subscriber.token, "unsubscribe")
    message = _message(settings, subscriber.address,
                       f"[{page.title}] {public.name}: {update.status.value.capitalize()}")
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(UPDATE_TEXT.format(
        name=public.name, status=update.status.value.capitalize(), message=update.message,
        workaround=f"\nWorkaround: {public.workaround}\n" if public.workaround else "",
        components=", ".join(names.get(c, c) for c in public.components) or "not stated",
        at=local_time(update.at, page.zone), title=page.title, unsubscribe=unsubscribe,
        incident_url=f"{settings.public_url}/status/{page.slug}/incidents/{public.id}.html"))
    return message


def webhook_body(settings: Settings, page, public, store) -> bytes:
    """The update as JSON, in the API's incident shape, with the page's status now."""
    base = f"{settings.public_url}/status/{page.slug}/"
    active = store.public_incidents(page, active_only=True)
    body = {"meta": {"documentation": base, "generated_at": public.updated_at.isoformat()},
            "page": {**page_json(page, base, public.updated_at),
                     "status_indicator": status_json(active)["indicator"],
                     "status_description": status_json(active)["description"]},
            "incident": incident_json(page, public, f"{base}incidents/{public.id}.html",
                                      components_json(page, active, public.updated_at))}
    return json.dumps(body, sort_keys=True).encode()


def send_maintenance_notice(public_id: str, step: str, subscriber_id: int, slug: str) -> str:
    """Tell one subscriber one step of a scheduled maintenance, unless that was done already."""
    settings, store = _runtime()
    maintenance, subscriber, found = store.maintenance_by_id(public_id), store.subscriber(id=subscriber_id), \
        store.status_page(slug)
    if maintenance is None or subscriber is None or found is None:
        return "nothing to send"
    if not store.notice_attempt(public_id, step, subscriber_id):
        return "already sent"
    page = found[0]
    return _deliver(settings, subscriber, lambda: maintenance_email(settings, page, maintenance, step, subscriber),
                    lambda: maintenance_webhook_body(settings, page, maintenance, store),
                    lambda error=None: store.notice_done(public_id, step, subscriber_id, error),
                    dict(maintenance=public_id, step=step, subscriber_id=subscriber_id))


MAINTENANCE_TEXT = """{name}

{step} - {body}

Scheduled: {start} to {end}
Affected: {components}

Details: {url}

--
You receive this because you subscribed to {title}.
Unsubscribe: {unsubscribe}
"""


def maintenance_email(settings: Settings, page, maintenance, step: str, subscriber) -> EmailMessage:
    names = {c.id: c.name for c in page.components}
    unsubscribe = _link(settings, page.slug, subscriber.token, "unsubscribe")
    message = _message(settings, subscriber.address,
                       f"[{page.title}] Scheduled maintenance: {maintenance.name}: {step_title(step)}")
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(MAINTENANCE_TEXT.format(
        name=maintenance.name, step=step_title(step), body=notice_body(maintenance, step, page.zone, local_time),
        start=local_time(maintenance.window.start, page.zone), end=local_time(maintenance.window.end, page.zone),
        components=", ".join(names.get(c, c) for c in maintenance.window.components) or "not stated",
        url=f"{settings.public_url}/status/{page.slug}/", title=page.title, unsubscribe=unsubscribe))
    return message


def maintenance_webhook_body(settings: Settings, page, maintenance, store) -> bytes:
    """The maintenance as JSON, in the API's scheduled-maintenance shape, under `incident` as for incidents."""
    base = f"{settings.public_url}/status/{page.slug}/"
    now = datetime.now(UTC)
    active = store.public_incidents(page, active_only=True)
    busy = under_maintenance(store.page_maintenances(page, since=now), now)
    components = components_with_maintenance(components_json(page, active, now), busy)
    body = {"meta": {"documentation": base, "generated_at": now.isoformat()},
            "page": {**page_json(page, base, now), "status_indicator": status_json(active)["indicator"],
                     "status_description": status_json(active)["description"]},
            "incident": maintenance_json(maintenance, page, now, base, components, stamp)}
    return json.dumps(body, sort_keys=True).encode()


def _post_webhook(subscriber, body: bytes) -> None:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               SIGNATURE_HEADER: sha256_signature(subscriber.secret or "", body)}
    try:
        response = requests.post(subscriber.address, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        raise TransientNotifyError(f"webhook unreachable: {exc.__class__.__name__}") from exc
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise TransientNotifyError(f"webhook answered {response.status_code}")
    if response.status_code >= 300:
        raise PermanentNotifyError(f"webhook answered {response.status_code}")


def _send_mail(settings: Settings, message: EmailMessage) -> None:
    if not settings.smtp_url:
        raise PermanentNotifyError("no SMTP_URL is set, so no mail can be sent")
    url = urlsplit(settings.smtp_url)
    secure = url.scheme == "smtps"
    port = url.port or (465 if secure else 25)
    try:
        client = (smtplib.SMTP_SSL if secure else smtplib.SMTP)(url.hostname or "localhost", port, timeout=30)
        with client:
            client.ehlo()
            if not secure and client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentNotifyError(f"the mail server refused the address: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentNotifyError(f"the mail server refused: {exc.smtp_code}") from exc
        raise TransientNotifyError(f"the mail server answered {exc.smtp_code}") from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TransientNotifyError(f"mail server unreachable: {exc.__class__.__name__}: {exc}") from exc


def _message(settings: Settings, to: str, subject: str) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = mail_from(settings)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)  # RFC 5322 requires it; some servers would add their own
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.public_url).hostname or "localhost")
    return message


def mail_from(settings: Settings) -> str:
    """`SMTP_URL`'s `?from=` address, else status@ the public host."""
    query = parse_qs(urlsplit(settings.smtp_url or "").query)
    if query.get("from"):
        return query["from"][0]
    return formataddr(("Status page", f"status@{urlsplit(settings.public_url).hostname or 'localhost'}"))


def _link(settings: Settings, slug: str, token: str, action: str) -> str:
    return f"{settings.public_url}/status/{slug}/subscriptions/{token}/{action}"


def _retry_or_fail(exc: TransientNotifyError):
    """Raise `exc` for RQ: its Retry runs the job again after the next interval, or, with no retries
    left, its failed registry keeps the job, with the reason, to be requeued by hand."""
    job = get_current_job()
    if job is None or not job.meta.get(RETRIED_WHEN_RAISED):  # only deaths are retried (worker.queue)
        log_event(log, outcome="failed", attempt=1, reason=str(exc))
        raise exc
    left = job.retries_left or 0
    attempt = len(job.retry_intervals or []) - left + 1
    if left > 0:
        log_event(log, outcome="retry", attempt=attempt, retry_in_s=job.get_retry_interval(), reason=str(exc))
    else:
        log_event(log, outcome="failed", attempt=attempt, reason=str(exc))
    raise exc


def _runtime():
    rt = runtime()
    return rt.settings, rt.store

