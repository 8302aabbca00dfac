"""Slack, two-way: the Chat interface on slack-sdk's WebClient (issue 16)."""
