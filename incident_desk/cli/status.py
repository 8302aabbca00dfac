"""`incident-desk status …`: the status page from the command line (static export, webhook subscribers)."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from incident_desk.cli.tracking import open_store
from incident_desk.settings import Settings


def _page(store, slug: str | None):
    pages = store.status_pages()
    if not pages:
        raise click.UsageError("no status page yet: turn one on with `status_page.enabled` in a repository's "
                               "config; the bot records it at the repository's next event (or `incident-desk sync`)")
    if slug is None:
        if len(pages) > 1:
            raise click.UsageError("several pages exist, name one with --slug: " + ", ".join(p.slug for p in pages))
        return pages[0]
    for page in pages:
        if page.slug == slug:
            return page
    raise click.UsageError(f"no status page `{slug}`; there are: " + ", ".join(p.slug for p in pages))


@click.group("status")
def status():
    """The public status page."""


@status.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--slug", help="The page to export (needed when there are several).")
def export(directory: Path, slug: str | None):
    """Write the page's HTML, JSON API and feed as static files into DIRECTORY (for GitHub/GitLab Pages)."""
    from webhook_app.status_site import Site

    settings = Settings.from_env()
    store = open_store()
    page = _page(store, slug)
    site = Site.load(store, page.slug, settings.public_url, static=True, subscribe=bool(settings.smtp_url))
    count = 0
    for path, content in site.files():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        count += 1
    click.echo(f"wrote {count} file(s) of /status/{page.slug}/ to {directory}", err=True)


@status.command("subscribe")
@click.argument("slug")
@click.option("--webhook", "url", help="URL that receives each published update as signed JSON.")
@click.option("--email", help="Email address, subscribed without the confirmation mail (you vouch for it).")
@click.option("--component", "components", multiple=True, help="Only incidents touching this component (repeatable).")
def subscribe(slug: str, url: str | None, email: str | None, components: tuple[str, ...]):
    """Add a subscriber; a webhook's signing secret is printed once."""
    if bool(url) == bool(email):
        raise click.UsageError("give exactly one of --webhook URL or --email ADDRESS")
    if url and not url.startswith(("https://", "http://")):
        raise click.UsageError(f"--webhook must be an http(s) URL, not {url!r}")
    store = open_store()
    page = _page(store, slug)
    unknown = sorted(set(components) - set(page.component_ids))
    if unknown:
        raise click.UsageError(f"unknown component(s) {', '.join(unknown)}; the page has: "
                               + (", ".join(page.component_ids) or "none"))
    if url:
        subscriber = store.add_subscriber(page.slug, "webhook", url, components, secret=secrets.token_hex(32),
                                          confirmed=True)
        click.echo(f"subscriber {subscriber.id}: {url}")
        click.echo(f"signing secret (sent as X-Incident-Desk-Signature: sha256=HMAC of the body): {subscriber.secret}")
    else:
        subscriber = store.add_subscriber(page.slug, "email", email, components, confirmed=True)
        click.echo(f"subscriber {subscriber.id}: {email}")


@status.command("subscribers")
@click.argument("slug")
def subscribers(slug: str):
    """List the page's subscribers (pending email confirmations included)."""
    store = open_store()
    page = _page(store, slug)
    for s in store.subscribers(page.slug, confirmed_only=False):
        state = "confirmed" if s.confirmed_at else "pending confirmation"
        click.echo(f"{s.id}\t{s.kind}\t{s.address}\t{','.join(s.components) or 'all components'}\t{state}")


@status.command("unsubscribe")
@click.argument("slug")
@click.argument("subscriber_id", type=int)
def unsubscribe(slug: str, subscriber_id: int):
    """Remove a subscriber by the id `status subscribers` shows."""
    store = open_store()
    page = _page(store, slug)
    subscriber = store.subscriber(id=subscriber_id)
    if subscriber is None or subscriber.slug != page.slug:
        raise click.UsageError(f"page `{page.slug}` has no subscriber {subscriber_id}")
    store.remove_subscriber(subscriber.token)
    click.echo(f"removed subscriber {subscriber_id}: {subscriber.address}")
    sys.exit(0)
