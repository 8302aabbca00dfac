"""The status page's renders kept in the web process, and their ETags (issue 15).

A page's files change only when the store writes something the page shows, and every such write bumps the
page's version in the same transaction (`store.publications.bump_pages`). So the ETag is a digest of the
version (with what else shapes the files: the path, the page's definition time, the settings the pages print,
the code and templates that render them, and for HTML the minute), known from one
small query: a conditional GET answers 304 without reading incidents, and a render is reused until the
version (or, for HTML, the minute) moves on.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from functools import cache
from pathlib import Path

MAX_ENTRIES = 256  # the fixed files of a few pages plus the incident pages people are reading
MAX_BYTES = 64 * 1024 * 1024  # an overview of 10,000 past incidents is about 650 kB


class RenderCache:
    """Least recently used renders, by key; safe across a threaded server's threads."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[tuple, tuple[str, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[str, str] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, rendered: tuple[str, str]) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = rendered
            self._bytes += len(rendered[0])
            while len(self._entries) > self.max_entries or (self._bytes > self.max_bytes and len(self._entries) > 1):
                _, (content, _) = self._entries.popitem(last=False)
                self._bytes -= len(content)

    def __len__(self) -> int:
        return len(self._entries)


def page_etag(slug: str, path: str, version: int, changed_at: datetime, now: datetime,
              *settings) -> tuple[str, bool]:
    """The file's ETag (unquoted) and whether it is weak; it changes whenever the file's content can.

    The JSON files and the feed depend on the store alone: a strong ETag of the version. HTML pages also
    depend on the time (generated at 14:32, updated 3 minutes ago, the uptime of an open incident), so their
    ETag is weak and changes every minute: within one a render is reused, and a page may say "11 minutes
    ago" for up to a minute after it became 12 (clients keep a page MAX_AGE seconds anyway)."""
    html = path.endswith(".html")
    minute = now.strftime("%Y-%m-%dT%H:%M") if html else ""
    key = "\n".join(map(str, (slug, path, version, changed_at.isoformat(), minute, *settings, _code_digest())))
    return hashlib.sha256(key.encode()).hexdigest()[:32], html


@cache
def _code_digest() -> str:
    """The templates and the modules that render the files: a deployment that changes them changes every ETag."""
    here = Path(__file__).parent
    sources = [*sorted((here / "templates" / "status").iterdir()), here / "status_site.py",
               here.parent / "incidents" / "status_page.py", here.parent / "incidents" / "maintenance.py"]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
