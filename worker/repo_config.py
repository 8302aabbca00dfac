"""The repository's config file, read through the forge and cached in Redis (DESIGN "Settled details: Config")."""
from __future__ import annotations

import hashlib

from incidents.config import load_config
from incidents.labels import LabelScheme
from incidents.repository_config import RepositoryConfig
from worker.queue import KEY_PREFIX

__all__ = ["CACHE_SECONDS", "forget_repository_config", "load_repository_config"]

CACHE_SECONDS = 600  # re-read at most every 10 minutes
WARNED_SECONDS = 90 * 24 * 3600


def load_repository_config(forge, repository: str, conn) -> RepositoryConfig:
    """The repository's config and label scheme (the forge's separator, renamed by the file's `labels`)."""
    key = _cache_key(forge, repository)
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

    labels = LabelScheme.with_separator(forge.label_separator, config.labels)
    return RepositoryConfig(forge.config_path, config, labels, tuple(errors), version, claim_warning)


def forget_repository_config(forge, repository: str, conn) -> None:
    """Drop the cached config file (a push changed it): the next event reads it from the forge again, and
    a new version with problems gets its one warning (the claim is per version)."""
    conn.delete(_cache_key(forge, repository))


def _cache_key(forge, repository: str) -> str:
    return f"{KEY_PREFIX}:config:{forge.platform}:{repository}"
