"""The repository's config file, read through the forge and cached in Redis (DESIGN "Settled details: Config")."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from incidents.config import ConfigError, RepoConfig, load_config
from worker.queue import KEY_PREFIX

CACHE_SECONDS = 600  # re-read at most every 10 minutes
WARNED_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class RepositoryConfig:
    """A repository's config, its problems, and a one-shot claim to warn about this version of the file."""

    path: str
    config: RepoConfig
    errors: tuple[ConfigError, ...] = ()
    version: str = ""
    claim_warning: Callable[[], bool] = field(default=lambda: False, compare=False, repr=False)


def load_repository_config(forge, repository: str, conn) -> RepositoryConfig:
    key = f"{KEY_PREFIX}:config:{forge.platform}:{repository}"
    cached = conn.get(key)
    if cached is None:
        text = forge.read_file(repository, forge.config_path) or ""
        conn.set(key, text, ex=CACHE_SECONDS)
    else:
        text = cached.decode("utf-8", "replace")
    config, errors = load_config(text or None)
    version = hashlib.sha1(text.encode()).hexdigest()[:12]
    warned_key = f"{KEY_PREFIX}:config-warned:{forge.platform}:{repository}:{version}"

    def claim_warning() -> bool:
        """True once per config version: that caller posts the warning, nobody else does."""
        return bool(conn.set(warned_key, "1", nx=True, ex=WARNED_SECONDS))

    return RepositoryConfig(forge.config_path, config, tuple(errors), version, claim_warning)

