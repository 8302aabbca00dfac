"""Announcements to Teams, Discord, Matrix, Mattermost and the rest, through Apprise (issue 16)."""
