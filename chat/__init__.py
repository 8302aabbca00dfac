"""Chat: the incident's channel (Slack, two-way) and announcements elsewhere (Apprise), behind small interfaces."""
