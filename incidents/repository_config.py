"""A repository's config as a delivery or job sees it: what its file says, its label names and its problems.

Pure data, so handlers can carry it; reading it through the forge (with the Redis cache) is the worker's.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from incidents.config import ConfigError
from incidents.config_model import RepoConfig
from incidents.labels import LabelScheme


@dataclass(frozen=True)
class RepositoryConfig:
    """A repository's config, its label scheme, its problems, and a one-shot claim to warn about this version."""

    path: str  # where the config file is, in the repository
    file: RepoConfig  # what it says, defaults filled in
    labels: LabelScheme
    errors: tuple[ConfigError, ...] = ()
    version: str = ""
    claim_warning: Callable[[], bool] = field(default=lambda: False, compare=False, repr=False)
