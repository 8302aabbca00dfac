"""Forge adapters (GitHub, GitLab) behind one interface, and payload normalization."""

from forges.base import Forge

PLATFORMS = ("github", "gitlab")


def forge_class(platform: str) -> type[Forge]:
    """The adapter class of a platform: its facts (config path, delivery headers) without a client."""
    if platform == "github":
        from forges.github import GitHubForge

        return GitHubForge
    if platform == "gitlab":
        from forges.gitlab import GitLabForge

        return GitLabForge
    raise ValueError(f"unknown platform {platform!r}")


def build_forge(platform: str, settings, installation_id: int | None = None) -> Forge:
    """The adapter for a platform, authenticated from the deployment settings."""
    return forge_class(platform).connect(settings, installation_id)


def forge_for_repository(platform: str, settings, repository: str) -> Forge:
    """The adapter for work on `repository` when no webhook said which App installation it belongs to
    (a declaration typed in chat): GitHub finds the installation, GitLab needs nothing more."""
    return forge_class(platform).connect_for_repository(settings, repository)
