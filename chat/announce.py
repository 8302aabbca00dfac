"""Announcements to Teams, Discord, Matrix, Mattermost and the rest, through Apprise (issue 16).

One `apprise.Apprise()` per announcement holding the one target URL (the URLs hold secrets: they come from the
server's settings and are never logged or put in an error). Apprise's own retry stays at its default of none
(`?retry=` in a URL could ask for it); a failed target is retried by the job queue with backoff.
"""
from __future__ import annotations

import apprise

from chat.base import Announcer, ChatError, TransientChatError
from chat.markup import announcement_markdown


class AppriseAnnouncer(Announcer):
    def announce(self, target_url: str, title: str, body: str) -> None:
        """Send one announcement. Title and body pass through `announcement_markdown` first, so nothing in them
        can ping (`@everyone`, `@here`, `<@…>`, `<at>…</at>`) whatever the caller gave."""
        notifier = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
        if not notifier.add(target_url):
            raise ChatError("announce: Apprise does not understand the target's URL")  # never the URL: a secret
        sent = notifier.notify(title=announcement_markdown(title), body=announcement_markdown(body),
                               body_format=apprise.NotifyFormat.MARKDOWN)
        if not sent:
            raise TransientChatError("announce: the target did not take the announcement")
