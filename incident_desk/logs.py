"""Structured logs: one JSON line per delivery step, never secrets or payloads."""
from __future__ import annotations

import json
import logging
import sys


def log_event(logger: logging.Logger, **fields) -> None:
    logger.info(json.dumps(fields, default=str, sort_keys=True))


def configure(level: str = "INFO") -> None:
    """Plain message lines on stderr: the messages are already JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("incident_desk")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
