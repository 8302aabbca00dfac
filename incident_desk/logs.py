"""Structured logs: one JSON line per delivery step, never secrets or payloads."""
from __future__ import annotations

import json
import logging
import sys

import orjson


def log_event(logger: logging.Logger, **fields) -> None:
    logger.info(_json_line(fields))


def _json_line(fields: dict) -> str:
    try:
        return orjson.dumps(fields, default=str, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # orjson refuses lone surrogates and integers over 64 bits; json does not
        return json.dumps(fields, default=str, sort_keys=True)


def configure(level: str = "INFO") -> None:
    """Plain message lines on stderr: the messages are already JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("incident_desk")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # The lines carry only their message, so the record need not find its caller, thread or process:
    # that was half the cost of a line on the webhook ack path (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
