"""The status page's side of the lifecycle (reference/000-001): an incident is published when it first
reaches `identified` (or by `/publish`), each status change with its message becomes a public update,
and every update is announced to the subscribers. Confidential incidents never appear."""
from __future__ import annotations

from datetime import UTC, datetime

from incidents.config import ConfigError
from incidents.document import parse_document
from incidents.model import Incident, Status
from incidents.status_page import WORKAROUND_MESSAGE, StatusPage, default_message, minutes_ago
from store import SlugTaken

PRIVATE = "this incident is confidential, so it never goes on a status page."
NO_PAGE = ("no status page shows `{repository}`; turn one on with `status_page.enabled` in `{config}`, "
           "or agree to another page that lists this repository with `status_page.pages`.")
# Statuses at which an incident nobody published yet goes public by itself.
AUTO_PUBLISH = (Status.IDENTIFIED, Status.MONITORING)
PUBLIC_SECTIONS_SKIPPED = ("Timeline",)  # the public updates already tell the timeline


def keep_page(store, platform: str, repository: str, config) -> ConfigError | None:
    """Record the page the repository's config declares (or drop it) and which other pages may show the
    repository (its `status_page.pages`); a problem with the config, else None."""
    settings = config.status_page
    store.keep_opt_ins(platform, repository, settings.pages)
    if not settings.enabled:
        store.remove_status_page(platform, repository)
        return None
    name = repository.rsplit("/", 1)[-1]
    page = StatusPage(slug=settings.slug or _slug(name), title=settings.title or f"{name} status",
                      timezone=settings.timezone or config.timezone or "UTC", components=config.components,
                      platform=platform, repository=repository, repositories=settings.repositories)
    try:
        store.save_status_page(page)
    except SlugTaken:
        return ConfigError("status_page.slug", page.slug,
                           "another repository's status page already has this slug; this page is not shown until "
                           "you pick another")
    return None


def _slug(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part)[:63] or "status"


def status_changed(store, incident: Incident, message: str | None, key: str, announce=None,
                   at: datetime | None = None) -> int | None:
    """A status change (by command or label): publish the incident if it is due, and post the public
    update if it is published. The id of the new update, or None."""
    if incident.private or not store.pages_showing(incident.platform, incident.repository):
        return None
    publication = store.publication(incident)
    if publication is None and incident.status in AUTO_PUBLISH:
        publication = _publish(store, incident, at)
    if publication is None or not publication.published:
        return None
    return post_update(store, incident, message or default_message(incident.status), key, announce, at)


def closed_without_resolving(store, incident: Incident, key: str, announce=None,
                             at: datetime | None = None) -> int | None:
    """An unresolved incident closed with nothing left to do is over: say so publicly if it was public."""
    publication = store.publication(incident)
    if incident.private or publication is None or not publication.published:
        return None
    return post_update(store, incident.with_changes(status=Status.RESOLVED), default_message(Status.RESOLVED),
                       key, announce, at)


def post_update(store, incident: Incident, message: str, key: str, announce=None,
                at: datetime | None = None) -> int | None:
    """Record one public update (once per key) and queue its notifications."""
    update_id = store.add_update(incident, key, message, at or datetime.now(UTC))
    if update_id is not None and announce is not None:
        announce(update_id)
    return update_id


def publish(store, incident: Incident, key: str, announce=None, config_path: str = "") -> str:
    """`/publish`: show the incident; its first public update is its current status. Raises ValueError."""
    _check_publishable(store, incident, config_path)
    publication = store.publication(incident)
    if publication is not None and publication.published:
        return "already on the status page."
    first = publication is None
    _publish(store, incident)
    if first:
        post_update(store, incident, default_message(incident.status), key, announce)
    return "on the status page now" + (", with its first update." if first else " again.")


def unpublish(store, incident: Incident) -> str:
    publication = store.publication(incident)
    if publication is None or not publication.published:
        return "not on the status page."
    store.set_publication(incident, published=False)
    return "taken off the status page."


def set_workaround(store, incident: Incident, text: str, key: str, announce=None, config_path: str = "") -> str:
    """`/workaround`: shown with the incident and, once it is public, posted as an update."""
    _check_publishable(store, incident, config_path)
    publication = store.set_publication(incident, workaround=text)
    if not publication.published:
        return "workaround saved; it is shown once the incident is published."
    post_update(store, incident, WORKAROUND_MESSAGE.format(text=text), key, announce)
    return "workaround published."


def publish_postmortem(store, incident: Incident, body: str, profile, zone: str | None, config_path: str = "") -> str:
    """`/publish postmortem`: a snapshot of the postmortem's written sections goes on the incident's page."""
    _check_publishable(store, incident, config_path)
    publication = store.publication(incident)
    if publication is None or not publication.published:
        raise ValueError("publish the incident first (`publish`), then its postmortem.")
    text = public_postmortem(body, profile, zone)
    if not text:
        raise ValueError("the postmortem has no written sections yet; nothing was published.")
    store.set_publication(incident, postmortem=text, postmortem_at=datetime.now(UTC))
    return "postmortem published on the incident's status page."


def public_postmortem(body: str, profile, zone: str | None) -> str:
    """The profile's written sections as Markdown (not the timeline, which the updates tell, and nothing
    else of the issue), without placeholders."""
    document = parse_document(body, profile, zone)
    parts = []
    for section in sorted(document.sections.values(), key=lambda s: s.line):
        if (section.name not in profile.required or section.name in PUBLIC_SECTIONS_SKIPPED
                or section.is_placeholder or not section.text.strip()):
            continue
        parts.append(f"## {section.name}\n\n{section.text.strip()}")
    return "\n\n".join(parts)


def _check_publishable(store, incident: Incident, config_path: str) -> None:
    if incident.private:
        raise ValueError(PRIVATE)
    if not store.pages_showing(incident.platform, incident.repository):
        raise ValueError(NO_PAGE.format(repository=incident.repository, config=config_path or "the config file"))


def _publish(store, incident: Incident, at: datetime | None = None):
    known = store.publication(incident)
    first_time = (known.published_at if known else None) or at or datetime.now(UTC)
    return store.set_publication(incident, published=True, name=incident.title, published_at=first_time)


PUBLIC_DUE = ("The public status page is due an update too (last one {ago}): {url} - "
              "`{prefix}status <status> <what we know now>` posts one.")


def public_reminder(store, incident: Incident, public_base: str, prefix: str, now: datetime) -> str | None:
    """While a published incident lasts, the reminder also asks for a public update (reference/000-001)."""
    shown = _public(store, incident)
    if shown is None:
        return None
    url = f"{public_base.rstrip('/')}/status/{shown[0].slug}/incidents/{shown[1].id}.html"
    return PUBLIC_DUE.format(ago=minutes_ago(shown[1].updated_at, now), url=url, prefix=prefix)


def public_page_url(store, incident: Incident, public_base: str) -> str | None:
    """The incident's page on the status page, while it is published there."""
    shown = _public(store, incident)
    return f"{public_base.rstrip('/')}/status/{shown[0].slug}/incidents/{shown[1].id}.html" if shown else None


def _public(store, incident: Incident):
    """(page, public incident) for a published incident, else None."""
    publication = store.publication(incident)
    pages = store.pages_showing(incident.platform, incident.repository)
    if incident.private or publication is None or not publication.published or not pages:
        return None
    [public] = store.public_incidents(pages[0], public_id=publication.public_id) or [None]
    return (pages[0], public) if public is not None else None
