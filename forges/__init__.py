"""Forge adapters (GitHub, GitLab) behind one interface, and payload normalization."""

from forges.base import Forge


def build_forge(platform: str, settings, installation_id: int | None = None) -> Forge:
    """The adapter for a platform, authenticated from the deployment settings."""
    if platform == "github":
        from forges.github import GitHubForge

        return GitHubForge(settings, installation_id)
    if platform == "gitlab":
        from forges.gitlab import GitLabForge

        return GitLabForge(settings)
    raise ValueError(f"unknown platform {platform!r}")
