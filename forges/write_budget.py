"""The write budget: a token bucket per GitHub installation or token and per GitLab token, kept in Redis so
every worker spends the same budget.

A command's few writes go out at once (the bucket holds `capacity` writes); sustained writing is paced at one
write per `interval` seconds (GitHub asks for about one a second, its secondary rate limits). A secondary
rate-limit answer empties the budget and holds every write until its Retry-After is over.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import time
from dataclasses import dataclass

import redis

from forges.errors import ForgeError, TransientForgeError

KEY_PREFIX = "incident-desk:write-budget"
MAX_SLEEP_SECONDS = 10.0  # a longer wait (a rate-limit hold) goes back to the queue instead of blocking a worker
NO_RETRY_AFTER_HOLD = 60.0  # a 429 without Retry-After: GitHub asks to wait at least a minute
RATE_LIMITED_STATUSES = (403, 429)

# KEYS[1]: the bucket (a hash: tokens, at = when `tokens` was true, held = end of a hold).
# ARGV: capacity, seconds per token, hold seconds (0: take a token). Redis's clock, so every worker agrees.
# Returns {seconds to wait as a string, 1 if the wait is a hold}; a wait of "0" means a token was taken.
_SCRIPT = """
local capacity, interval, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'held')
local tokens, at, held = tonumber(s[1]) or capacity, tonumber(s[2]) or now, tonumber(s[3]) or 0
if now > at then
  tokens = interval > 0 and math.min(capacity, tokens + (now - at) / interval) or capacity
  at = now
end
local wait, holding = 0, 0
if hold > 0 then
  held = math.max(held, now + hold)
  tokens, at = 1, held  -- nothing refills during the hold; the first write after it goes at once
  wait, holding = held - now, 1
elseif held > now then
  wait, holding = held - now, 1
elseif tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) * interval
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', at, 'held', held)
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(held - now, 0) + capacity * interval) * 1000) + 1000)
return {tostring(wait), holding}
"""


@dataclass(frozen=True)
class Answer:
    """What the bucket said: `wait` 0 means a token was taken; otherwise how long until one is free."""

    wait: float
    held: bool = False  # the wait is a rate-limit hold, not the pace


@functools.lru_cache(maxsize=8)
def _script(url: str):
    """The script on a client of its own (forges sit below the worker and its connection helpers)."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30).register_script(_SCRIPT)


def budget_key(platform: str, api_url: str, installation_id: int | None, token: str | None) -> str:
    """The bucket's key: one per installation (GitHub App) or per token; the token itself is never stored."""
    who = f"installation-{installation_id}" if installation_id else \
        "token-" + hashlib.sha256((token or "").encode()).hexdigest()[:16]
    return f"{KEY_PREFIX}:{platform}:{api_url}:{who}"


class WriteBudget:
    """A token bucket in Redis, shared by every forge object (and worker) writing as the same installation."""

    def __init__(self, redis_url: str | None, key: str, capacity: int, interval: float):
        self.redis_url, self.key = redis_url, key
        self.capacity, self.interval = max(1, capacity), max(0.0, interval)

    def _call(self, hold: float) -> Answer:
        if not self.redis_url:
            raise ForgeError("REDIS_URL is not set; forge writes are paced through Redis")
        try:
            wait, held = _script(self.redis_url)(keys=[self.key], args=[self.capacity, self.interval, hold])
        except redis.RedisError as exc:
            raise TransientForgeError(f"write budget: Redis unavailable ({exc.__class__.__name__})") from exc
        return Answer(max(0.0, float(wait)), bool(held))

    def take(self) -> Answer:
        """Take one write's token if there is one; otherwise learn how long to wait (nothing is taken)."""
        return self._call(0)

    def hold(self, seconds: float) -> Answer:
        """Empty the budget and refuse every write for `seconds` (a secondary rate limit's Retry-After)."""
        return self._call(max(seconds, 0.001))

    def acquire(self) -> None:
        """Wait until a token is taken. A wait longer than MAX_SLEEP_SECONDS (a rate-limit hold) raises a
        TransientForgeError carrying it, so the job is retried after it rather than blocking a worker."""
        while True:
            answer = self.take()
            if answer.wait == 0:
                return
            if answer.wait > MAX_SLEEP_SECONDS:
                reason = "held after a rate limit" if answer.held else "exhausted"
                raise TransientForgeError(f"write budget {reason}", retry_after=answer.wait)
            time.sleep(answer.wait)

    def rate_limited(self, error: ForgeError) -> None:
        """After a forge's answer: a rate limit (403/429 that is transient) holds every write until Retry-After."""
        if isinstance(error, TransientForgeError) and error.status in RATE_LIMITED_STATUSES:
            self.hold(NO_RETRY_AFTER_HOLD if error.retry_after is None else error.retry_after)


class PacedWrites:
    """A forge's writes spent from its `budget`. `wait_to_write` takes the next write's token ahead of it,
    so `Forge.update_issue` can wait first, then read and write at once (a person's edit made during the
    wait is read, not overwritten)."""

    budget: WriteBudget
    _token_in_hand = False

    def wait_to_write(self) -> None:
        if not self._token_in_hand:
            self.budget.acquire()
            self._token_in_hand = True

    @contextlib.contextmanager
    def _paced(self, call):
        """`call` (a translated API call's context) after taking a token; a rate-limit answer holds the budget."""
        self.wait_to_write()
        self._token_in_hand = False
        try:
            with call:
                yield
        except ForgeError as exc:
            self.budget.rate_limited(exc)
            raise
