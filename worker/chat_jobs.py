"""Slack's jobs (issue 16). A stub until the worker side lands: the receiver names
`worker.chat_jobs.process_slack` by its dotted path, so the name must resolve."""
from __future__ import annotations


def process_slack(kind: str, delivery_id: str, payload: dict, attempt: int = 1) -> str:
    """Run one Slack request: kind is "command", "event" or "interaction"; payload its JSON object
    (a slash command's form fields as one). chat.slack_events.to_chat_event reads it."""
    raise NotImplementedError("process_slack is built with the worker side of issue 16")
