"""From install to first incident (issue 19): labels on install, one onboarding pull/merge request per
repository, and the config re-read as soon as a push to the default branch changes it."""
from __future__ import annotations

from forges.events import PUSH, PushEvent
from handlers.context import Context
from handlers.router import Router

router = Router()


@router.register(PUSH, "pushed")
def refresh_config_on_push(event: PushEvent, ctx: Context) -> None:
    """A push to the default branch that touches the config file (or may: more commits than the forge lists)
    drops the cached config, so the next event applies the new file and warns once if it has problems."""
    if event.deleted or not event.branch or event.branch != event.default_branch:
        return
    if event.all_listed and ctx.config.path not in event.paths:
        return
    ctx.forget_config(event.repository)
