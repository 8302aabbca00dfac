"""Fakes of the forges: stateful HTTP fakes of GitHub and GitLab, and an in-memory Forge."""
