"""Incident Desk: run the incident process in GitHub and GitLab issues."""
