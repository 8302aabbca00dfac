"""Prometheus metrics, kept in Redis so every web and worker process counts into one place."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from forges.normalize import EVENT_SCHEMAS, IGNORED_EVENTS
from worker.queue import JOBS_METRIC, KEY_PREFIX, deliveries_queue

DELIVERIES_KEY = f"{KEY_PREFIX}:metrics:deliveries"
JOBS_KEY = JOBS_METRIC


def delivery_field(platform: str, event: str, outcome: str) -> str:
    """The counter's field in DELIVERIES_KEY (webhook_app.deliveries also counts there, in its script)."""
    return f"{platform}|{event}|{outcome}"


def event_label(platform: str, event: str) -> str:
    """The event's name when it is one the forges document, else "other".

    Anyone can send any header, signed or not: a name made up by a sender must not become a label
    value, or every new name would add a Redis field and a line to /metrics."""
    return event if (platform, event) in EVENT_SCHEMAS or (platform, event) in IGNORED_EVENTS else "other"


def count_delivery(conn, platform: str, event: str, outcome: str) -> None:
    conn.hincrby(DELIVERIES_KEY, delivery_field(platform, event, outcome), 1)


def reminders_due(conn, queue) -> int:
    """Incidents whose reminder job waits in the scheduler (worker/deferred.reminder_job_id names them)."""
    key = ScheduledJobRegistry(queue=queue).key
    return sum(1 for _ in conn.zscan_iter(key, match="reminder-*", count=500))


class RedisCollector:
    def __init__(self, conn):
        self.conn = conn

    def _counter(self, key, name, doc):
        family = CounterMetricFamily(name, doc, labels=["platform", "event", "outcome"])
        for field, value in sorted(self.conn.hgetall(key).items()):
            platform, event, outcome = field.decode().split("|", 2)
            family.add_metric([platform, event, outcome], int(value))
        return family

    def collect(self):
        yield self._counter(DELIVERIES_KEY, "incident_desk_deliveries", "Webhook deliveries received, by outcome.")
        yield self._counter(JOBS_KEY, "incident_desk_jobs", "Delivery jobs finished, by outcome.")
        queue = deliveries_queue(self.conn)
        yield GaugeMetricFamily("incident_desk_queue_depth", "Jobs waiting in the deliveries queue.",
                                value=queue.count)
        yield GaugeMetricFamily("incident_desk_scheduled_jobs", "Jobs waiting for a retry or a reminder.",
                                value=ScheduledJobRegistry(queue=queue).count)
        yield GaugeMetricFamily("incident_desk_reminders_due", "Incidents with a reminder due (one job each).",
                                value=reminders_due(self.conn, queue))
        yield GaugeMetricFamily("incident_desk_failed_jobs", "Jobs that failed for good.",
                                value=FailedJobRegistry(queue=queue).count)


def render(conn) -> bytes:
    registry = CollectorRegistry()
    registry.register(RedisCollector(conn))
    return generate_latest(registry)
