"""What the pure code needs to know about a forge's conventions (issue 14 item 7).

Each adapter in `forges/` states its own facts; nothing outside `forges/` compares platform names.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MergeRequestSyntax:
    """How people on a forge write a reference to a merge request, and what they call one."""

    sigil: str  # "!34" (GitLab merge request), "#34" (GitHub pull request)
    noun: str  # "merge request" | "pull request"
    hash_names_merge_request: bool  # `#34` can name one (GitHub: pull requests share the issues' numbers)
    sibling_project_refs: bool  # `project!34` names a project in the home repository's group (GitLab)

    def ref(self, repository: str, number: int, home: str | None = None) -> str:
        """How people write a reference to this merge request from `home`."""
        return f"{'' if repository == home else repository}{self.sigil}{number}"


@dataclass(frozen=True)
class ForgeFacts:
    """A forge's conventions, as plain values for the plan functions."""

    merge_request: MergeRequestSyntax
    body_limit: int  # characters an issue body or comment may hold
    command_prefix: str = "/"  # what goes before a command's name
    web_host: str = ""  # the host of the forge's web pages, to tell its URLs from other forges'


__all__ = ["ForgeFacts", "MergeRequestSyntax"]
