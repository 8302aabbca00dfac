"""Make docs/status-page.png: the status page's overview as a visitor sees it in Chromium.

    .venv/bin/python docs/status_screenshot.py [OUTPUT.png]

Seeds a throw-away SQLite database with a realistic page (tests/status_seed.py), serves the real app on
127.0.0.1 and takes a full-page screenshot 1000 px wide with Debian's Chromium (`apt-get install chromium`)
driven by Playwright (`pip install -e '.[dev]'`).
"""
from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402
from status_seed import SLUG, seed_status_page  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from incident_desk.settings import Settings  # noqa: E402
from store import Store, migrate  # noqa: E402
from webhook_app import create_app  # noqa: E402
from worker.embedded_redis import EmbeddedRedis  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'status.db'}"
        migrate(database_url)
        store = Store(database_url)
        seed_status_page(store)
        store.engine.dispose()
        redis = EmbeddedRedis(tmp, persist=False).start()
        try:
            settings = Settings(redis_url=redis.url, database_url=database_url,
                                public_url="https://status.acme.example", smtp_url="smtp://127.0.0.1:25")
            server = make_server("127.0.0.1", 0, create_app({"SETTINGS": settings}), threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM)
                    page = browser.new_page(viewport={"width": 1000, "height": 800})
                    page.goto(f"http://127.0.0.1:{server.server_port}/status/{SLUG}/")
                    page.screenshot(path=str(output), full_page=True)
                    browser.close()
            finally:
                server.shutdown()
        finally:
            redis.stop()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "status-page.png")
