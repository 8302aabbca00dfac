"""Route events to handlers registered by (event kind, action)."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from forges.base import Forge
from forges.events import COMMENT, Event
from handlers.context import Context

log = logging.getLogger(__name__)
# A handler takes the event kind it is registered for (IssueEvent, CommentEvent, ...), hence Any.
Handler = Callable[[Any, Context], None]


class Router:
    """A registry of handlers; routers of several concerns compose into one."""

    def __init__(self, *routers: Router):
        self._handlers: dict[tuple[str, str], list[Handler]] = defaultdict(list)
        for router in routers:
            for key, handlers in router._handlers.items():
                self._handlers[key].extend(handlers)

    def register(self, kind: str, *actions: str) -> Callable[[Handler], Handler]:
        """Decorator: run the function for events of `kind` with any of `actions`."""

        def decorator(handler: Handler) -> Handler:
            for action in actions:
                self._handlers[(kind, action)].append(handler)
            return handler

        return decorator

    def handlers_for(self, event: Event) -> list[Handler]:
        """The handlers registered for the event's kind and action, in registration order."""
        return list(self._handlers.get((event.kind, event.action), ()))

    def dispatch(self, event: Event, ctx: Context, already_run: set | None = None) -> int:
        """Run the event's handlers, each as `handler(event, ctx)`. Returns how many ran.

        `already_run` spans the events of one delivery (GitLab's `update` can be both `labeled`
        and `unlabeled`): a handler looks at the whole issue, so once per delivery is enough.
        """
        handlers = [h for h in self.handlers_for(event) if already_run is None or h not in already_run]
        if not handlers or ignored(event, ctx.forge):
            return 0
        if already_run is not None:
            already_run.update(handlers)
        for handler in handlers:
            handler(event, ctx)
        return len(handlers)


def ignored(event: Event, forge: Forge) -> bool:
    """Bots' comments and the bot's own writes never trigger work (DESIGN "Which events count").

    Other bots' state changes (a merge queue merging the fix) are facts and do count.
    """
    if event.kind == COMMENT and event.actor.is_bot:
        return True  # decided without an API call
    # Not the marker: anyone can type it, and a person's marked comment is still theirs (issue 13 item 3).
    return event.actor.login.lower() == forge.bot_login.lower()
