"""Alert notification jobs (issue 17): the receiver (webhook_app.alerts) queues process_alert by name.

A stub until the worker's side is written: the job is named here so that the queued jobs resolve.
"""
from __future__ import annotations


def process_alert(source: str, delivery_id: str, payload: dict, attempt: int = 1) -> None:
    """Act on one alert notification from `source` (an Alertmanager/Grafana source's name, or "pagerduty")."""
    raise NotImplementedError("worker.alert_jobs.process_alert is written by the worker's side of issue 17")
