"""Checks of an incident document: pure rules that turn a parsed document into findings."""
from __future__ import annotations

from typing import TYPE_CHECKING

from checks.rules import RULES, Finding, effective_profile, run_checks
from incidents.document import IncidentDocument, parse_document

if TYPE_CHECKING:
    from incidents.config_model import RepoConfig

__all__ = ["RULES", "Finding", "effective_profile", "run_checks"]


def review(body: str | None, config: RepoConfig) -> tuple[IncidentDocument, list[Finding]]:
    """Parse an incident body with the repository's profile and timezone; return (document, findings)."""
    profile = config.get_profile()
    document = parse_document(body or "", profile, config.timezone)
    return document, run_checks(document, profile, config)


__all__ += ["review"]
