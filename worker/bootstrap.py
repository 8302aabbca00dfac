"""Opening a job's world, the one way every job and the `sync` command do it: settings, Redis, store, then
(for work on a repository) the forge and the handler context with the repository's config and labels."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

from chat import build_chat
from chat.base import Chat
from forges import build_forge
from forges.base import Forge
from handlers.context import Context
from handlers.publication import keep_page
from incident_desk.settings import Settings
from incidents.config import ConfigError
from store import Store
from worker.deferred import QueueJobs
from worker.permissions import Permissions
from worker.queue import connection
from worker.repo_config import forget_repository_config, load_repository_config


@functools.lru_cache(maxsize=4)
def store_for(database_url: str) -> Store:
    """One store (and connection pool) per database for the life of the process."""
    return Store(database_url)


@dataclass(frozen=True)
class Runtime:
    """What every job needs first: the deployment's settings, its Redis and its store."""

    settings: Settings
    conn: object
    store: Store


def runtime() -> Runtime:
    """The settings from the environment, with their Redis connection and store."""
    settings = Settings.from_env()
    return Runtime(settings, connection(settings.redis_url), store_for(settings.database_url))


def forge_for(rt: Runtime, platform: str, installation_id: int | None = None) -> Forge:
    """The forge adapter a job acts through (the bot's identity kept in Redis, not asked per job)."""
    forge = build_forge(platform, rt.settings, installation_id)
    forge.identity_cache = rt.conn
    return forge


def open_context(rt: Runtime, forge: Forge, repository: str,
                 page_problem: Callable[[ConfigError], None] | None = None) -> Context:
    """The handler context for work on `repository`: its config and labels read (cached) through the forge.

    With `page_problem`, the status page its config declares is recorded first (see keep_page); a problem
    with it goes to `page_problem` and is told with the config's own problems, once per file version."""
    config = load_repository_config(forge, repository, rt.conn)
    problem = keep_page(rt.store, forge.platform, repository, config.file) if page_problem else None
    if problem is not None and page_problem is not None:
        page_problem(problem)
        config = replace(config, errors=(*config.errors, problem))
    settings = rt.settings
    return Context(forge=forge, store=rt.store, repository=repository, config=config,
                   permissions=Permissions(forge, rt.conn, config.file), jobs=QueueJobs(rt.conn),
                   load_config=lambda other: load_repository_config(forge, other, rt.conn),
                   chat=chat_for(settings), chat_targets=frozenset(name for name, _ in settings.chat_targets),
                   private_chat_targets=settings.private_chat_targets, public_url=settings.public_url,
                   forget_config=lambda other: forget_repository_config(forge, other, rt.conn),
                   onboarding=settings.onboarding)


@functools.lru_cache(maxsize=4)
def chat_for(settings: Settings) -> Chat | None:
    """The Slack workspace the deployment is connected to, if any (one client per process)."""
    return build_chat(settings) if settings.slack_bot_token else None
