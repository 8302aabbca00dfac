"""Checks of an incident document: pure rules that turn a parsed document into findings."""
from __future__ import annotations

from checks.rules import RULES, Finding, effective_profile, run_checks

__all__ = ["RULES", "Finding", "effective_profile", "run_checks"]


def review(body: str, config) -> tuple:
    """Parse an incident body with the repository's profile and timezone; return (document, findings)."""
    from incidents.document import parse_document

    profile = config.get_profile()
    document = parse_document(body or "", profile, config.timezone)
    return document, run_checks(document, profile, config)


__all__ += ["review"]
