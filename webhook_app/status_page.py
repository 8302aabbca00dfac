"""The public status page: its files (pages, API, feed) with ETags, and email subscriptions with double
opt-in. It reads the store only; the worker keeps the store in step with the incidents."""
from __future__ import annotations

import hashlib
import ipaddress
import re
import time

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import is_resource_modified

from incidents.status_page import utc_now
from webhook_app.status_cache import RenderCache, page_etag
from webhook_app.status_site import Site, serves
from worker.queue import KEY_PREFIX, deliveries_queue, notify_retry

bp = Blueprint("status_page", __name__, url_prefix="/status/<slug>")
MAX_AGE = 30  # seconds; monitors poll summary.json often, and a status page must not lag long
CONFIRMATION_COOLDOWN_SECONDS = 3600
LIMIT_WINDOW_SECONDS = 3600  # the subscribe form's limits count requests per clock hour
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")

SEND_CONFIRMATION = "worker.notify.send_confirmation"  # by name: the web process never imports the jobs


def _site(slug: str, **kwargs) -> Site | None:
    settings = current_app.config["SETTINGS"]
    return Site.load(current_app.extensions["store"], slug, settings.public_url,
                     subscribe=bool(settings.smtp_url), **kwargs)


def _not_found() -> Response:
    return Response("<!doctype html><title>Not found</title><h1>No such status page</h1>", 404,
                    content_type="text/html; charset=utf-8")


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page_file(slug: str, path: str):
    """Any file of the page. Its ETag comes from the page's version: a matching If-None-Match is answered 304
    without reading incidents, and a render is reused by every request until the version moves on."""
    path = path or "index.html"
    found = current_app.extensions["store"].status_page_version(slug) if serves(path) else None
    if found is None:
        return _not_found()
    now = utc_now()
    settings = current_app.config["SETTINGS"]
    etag = page_etag(slug, path, *found, now, settings.public_url, bool(settings.smtp_url))
    if not is_resource_modified(request.environ, etag=etag[0]):
        return _cacheable(Response(status=304), path, etag)
    renders = current_app.extensions.setdefault("status_renders", RenderCache())
    rendered = renders.get((path, etag))
    if rendered is None:
        site = _site(slug, now=now)
        rendered = site.render(path) if site else None
        if rendered is None:
            return _not_found()
        renders.put((path, etag), rendered)
    content, content_type = rendered
    return _cacheable(Response(content, content_type=content_type), path, etag).make_conditional(request)


def _cacheable(response: Response, path: str, etag: tuple[str, bool]) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    if not path.endswith(".html"):
        response.headers["Access-Control-Allow-Origin"] = "*"  # widgets and monitors on other sites
    response.set_etag(*etag)
    return response


def _page(site: Site, status: int, heading: str, text: str, root: str = "", **form) -> Response:
    response = Response(site.message(heading, text, root, **form), status, content_type="text/html; charset=utf-8")
    response.cache_control.no_store = True
    return response


@bp.post("/subscribe")
def subscribe(slug: str):
    """Email subscription, step one: nothing is sent but the confirmation mail until the link is followed."""
    site = _site(slug)
    if site is None:
        return _not_found()
    if not site.subscribe:
        return _page(site, 503, "Email updates are not available", "This status page does not send email.")
    wait = _seconds_over_limit()
    if wait:
        response = _page(site, 429, "Too many subscription requests",
                         "This form has been asked too often this hour, from your address or from everyone; "
                         "please try again later.")
        response.headers["Retry-After"] = str(wait)
        return response
    address = (request.form.get("email") or "").strip()
    if not _EMAIL.match(address) or len(address) > 254:
        return _page(site, 400, "That address does not look right", "Give an email address like name@example.com.")
    known = set(site.page.component_ids)
    components = [c for c in request.form.getlist("component") if c in known]
    store = current_app.extensions["store"]
    existing = [s for s in store.subscribers(slug, confirmed_only=False)
                if s.kind == "email" and s.address.lower() == address.lower()]
    if not existing or existing[0].confirmed_at is None:  # a confirmed address is left as its owner set it
        subscriber = store.add_subscriber(slug, "email", address, components)
        if _first_confirmation_in_a_while(slug, address):
            deliveries_queue(current_app.extensions["redis"]).enqueue(
                SEND_CONFIRMATION, subscriber.id, **notify_retry(current_app.config["SETTINGS"]),
                job_id=f"confirm-{subscriber.id}-{subscriber.token[:8]}")
    return _page(site, 202, "Check your inbox",
                 "If this address is not subscribed yet, a mail with a confirmation link is on its way.")


def _seconds_over_limit() -> int | None:
    """Seconds until the hour's end when this client, or everyone together, used up the hour's requests;
    None while within both limits. Every request counts, refused ones too: each costs a look-up."""
    settings = current_app.config["SETTINGS"]
    window, elapsed = divmod(int(time.time()), LIMIT_WINDOW_SECONDS)
    wait = LIMIT_WINDOW_SECONDS - elapsed
    client = hashlib.sha256(_client().encode()).hexdigest()[:32]  # no addresses in key names
    for scope, limit in ((f"client:{client}", settings.subscribe_limit_per_client),
                         ("everyone", settings.subscribe_limit_total)):
        key = f"{KEY_PREFIX}:subscribe-limit:{window}:{scope}"
        pipe = current_app.extensions["redis"].pipeline()
        count, _ = pipe.incr(key).expire(key, wait + 60).execute()
        if count > limit:
            return wait
    return None


def _client() -> str:
    """The client's address (ProxyFix has put the forwarded one there when proxies are trusted); an IPv6
    client counts by its /64, which one subscriber line usually gets whole."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return request.remote_addr or ""
    address = getattr(address, "ipv4_mapped", None) or address
    return str(ipaddress.ip_network((address, 64), strict=False)) if address.version == 6 else str(address)


def _first_confirmation_in_a_while(slug: str, address: str) -> bool:
    """At most one confirmation mail per address and page an hour: the form is public, and must not let
    anyone flood somebody's inbox from our mail server. The answer to the form is the same either way."""
    digest = hashlib.sha256(f"{slug}\n{address.lower()}".encode()).hexdigest()[:32]  # no addresses in key names
    key = f"{KEY_PREFIX}:confirmation-sent:{digest}"
    return bool(current_app.extensions["redis"].set(key, "1", nx=True, ex=CONFIRMATION_COOLDOWN_SECONDS))


@bp.get("/subscriptions/<token>/confirm")
def confirm(slug: str, token: str):
    site = _site(slug)
    if site is None:
        return _not_found()
    subscriber = current_app.extensions["store"].confirm_subscriber(token)
    if subscriber is None or subscriber.slug != slug:
        return _page(site, 404, "Link not valid", "This confirmation link is unknown or was unsubscribed.", "../../")
    return _page(site, 200, "Subscribed", f"{subscriber.address} will receive this page's incident updates.",
                 "../../")


@bp.route("/subscriptions/<token>/unsubscribe", methods=["GET", "POST"])
def unsubscribe(slug: str, token: str):
    """GET asks (mail scanners follow links); POST, from the button or RFC 8058's one-click, unsubscribes."""
    site = _site(slug)
    if site is None:
        return _not_found()
    store = current_app.extensions["store"]
    subscriber = store.subscriber(token=token)
    if subscriber is None or subscriber.slug != slug:
        return _page(site, 404, "Already unsubscribed", "This address receives nothing from this page.", "../../")
    if request.method == "GET":
        return _page(site, 200, "Unsubscribe?", f"Stop sending this page's incident updates to {subscriber.address}.",
                     "../../", form_action="unsubscribe", button="Unsubscribe")
    store.remove_subscriber(token)
    return _page(site, 200, "Unsubscribed", f"{subscriber.address} will receive nothing more from this page.",
                 "../../")


class StatusHosts:
    """WSGI middleware for INCIDENT_DESK_STATUS_HOSTS: on a host named there, a path none of the app's
    routes takes is a file of that host's page, so `https://status.acme.com/api/v2/summary.json` works
    (status widgets ask the host's root). The app's routes, webhooks included, stay where they are."""

    def __init__(self, app: Flask, hosts):
        self.app, self.wsgi_app, self.hosts = app, app.wsgi_app, dict(hosts)

    def __call__(self, environ, start_response):
        slug = self.hosts.get(_host_name(environ))
        if slug is not None and not self._routed(environ):
            environ = {**environ, "PATH_INFO": f"/status/{slug}{environ.get('PATH_INFO') or '/'}"}
        return self.wsgi_app(environ, start_response)

    def _routed(self, environ) -> bool:
        try:
            self.app.url_map.bind_to_environ(environ).match()
        except NotFound:
            return False
        except HTTPException:  # a redirect (RequestRedirect) or another method: still one of the app's routes
            return True
        return True


def _host_name(environ) -> str:
    """The request's host name, lower-case, without port (ProxyFix has set it when proxies are trusted)."""
    host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").lower()
    name = host.split("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
    return name.rstrip(".")
