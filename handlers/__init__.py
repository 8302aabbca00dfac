"""Handlers, one module per concern, composed into the one router the worker dispatches through."""
import handlers.snooze  # noqa: F401  (registers the `/snooze` effect, issue 18)
from handlers import alerts, blog, board, chat, commands, declare, lifecycle, links, maintenance, onboarding
from handlers.router import Router

router = Router(declare.router, commands.router, lifecycle.router, links.router, blog.router, chat.router,
                alerts.router, maintenance.router, onboarding.router, board.router)
