"""Forge errors, split into what a retry can fix and what it cannot."""
from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import contextmanager

import requests

TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}


class ForgeError(Exception):
    """A forge refused the request; retrying will not help (404, 422, bad credentials...)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class TransientForgeError(ForgeError):
    """A 5xx, a rate limit or a dropped connection: retry, after `retry_after` seconds if known."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message, status)
        self.retry_after = retry_after


def retry_after_from_headers(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After`, or from a rate-limit reset time when nothing remains."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    if "retry-after" in lower:
        try:
            return max(0.0, float(lower["retry-after"]))
        except ValueError:
            pass  # an HTTP date; rare from forges, fall through to the reset headers
    remaining = lower.get("x-ratelimit-remaining", lower.get("ratelimit-remaining"))
    reset = lower.get("x-ratelimit-reset", lower.get("ratelimit-reset"))
    if reset is not None and remaining is not None and str(remaining).strip() == "0":
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def classify(status: int | None, headers: Mapping[str, str] | None, message: str) -> ForgeError:
    """The error to raise for an HTTP failure with this status and these headers."""
    wait = retry_after_from_headers(headers)
    rate_limited = status == 403 and wait is not None  # GitHub signals rate limits with 403
    if status is None or status in TRANSIENT_STATUSES or rate_limited:
        return TransientForgeError(message, status, wait)
    return ForgeError(message, status)


@contextmanager
def translated(what: str, library_error: type[Exception], status_of, headers_of):
    """Turn a client library's exceptions into ForgeError / TransientForgeError."""
    try:
        yield
    except ForgeError:
        raise
    except requests.RequestException as exc:  # connection refused, reset, timeout
        raise TransientForgeError(f"{what}: {exc.__class__.__name__}") from exc
    except library_error as exc:
        raise classify(status_of(exc), headers_of(exc), f"{what}: {exc}") from exc
