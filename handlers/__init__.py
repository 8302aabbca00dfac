"""Handlers, one module per concern, composed into the one router the worker dispatches through."""
from handlers import declare
from handlers.router import Router

router = Router(declare.router)
