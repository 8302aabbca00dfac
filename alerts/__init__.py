"""Alerts (issue 17): what Alertmanager, Grafana and PagerDuty send, read into neutral alert notices."""
