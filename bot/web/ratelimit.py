"""Per-conversation rate limiting: a token bucket for each session id.

`RateLimiter` keeps the buckets in the web app's memory, which is right for one web app.
Behind a load balancer each message of a conversation may reach another web app, and a
bucket per app would let a visitor send N times the burst; `RedisRateLimiter` keeps the
same buckets in Redis (REDIS_URL), refilled and taken in one Lua script so that two apps
never spend the same token, each key expiring once its bucket is full again (an idle
conversation costs nothing). While Redis cannot be reached, each app limits on its own
(and logs it once) rather than refuse every visitor. Both take an injectable clock, so
tests can move time by hand, and both are awaited alike: `await limiter.check(session)`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Keys of the shared buckets: the prefix, then the session id.
KEY_PREFIX = "asf:ratelimit:"

# KEYS[1]: the bucket. ARGV: now (seconds), the burst, the refill rate (tokens a second).
# Returns {1 if allowed else 0, seconds until a token, as a string: Redis truncates
# numbers to integers}. Time never runs backwards for a bucket, whatever clock a web app
# has, so apps whose clocks differ a little cannot mint tokens.
_TAKE_TOKEN = """
local now = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
updated = math.max(updated, now)
local allowed = 0
local retry_after = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry_after = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'updated', string.format('%.17g', updated))
-- Once full again the bucket is the same as no bucket: let it go.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1)
return {allowed, string.format('%.17g', retry_after)}
"""


@dataclass(frozen=True)
class Decision:
    """Whether a message may pass, and if not, how many seconds until one may."""

    allowed: bool
    retry_after: float = 0.0


class Limiter(Protocol):
    """What the chat handler asks before it passes a message on."""

    async def check(self, key: str) -> Decision:
        """Take one token from `key`'s bucket if there is one."""
        ...


def _refill_rate(burst: int, per_minute: float) -> float:
    """Return the refill rate in tokens a second, refusing limits that make no sense."""
    if burst < 1 or per_minute <= 0:
        raise ValueError("burst must be at least 1 and per_minute greater than zero")
    return per_minute / 60.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allow `burst` messages at once per key, refilled at `per_minute` messages a minute."""

    def __init__(
        self,
        burst: int,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._rate = _refill_rate(burst, per_minute)
        self._burst = float(burst)
        self._clock = clock
        # Session ids are chosen by browsers; bound the memory a flood of new ids can take.
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    async def check(self, key: str) -> Decision:
        """Take one token from `key`'s bucket if there is one."""
        now = self._clock()
        # Popped and put back, so the dict's order is least recently used first.
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            self._make_room(now)
            bucket = _Bucket(tokens=self._burst, updated=now)
        self._buckets[key] = bucket
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Decision(allowed=True)
        return Decision(allowed=False, retry_after=(1.0 - bucket.tokens) / self._rate)

    def __len__(self) -> int:
        return len(self._buckets)

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self._max_keys:
            return
        # A bucket that has refilled completely is the same as no bucket: forget it.
        full = self._burst / self._rate
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items() if now - bucket.updated < full
        }
        while len(self._buckets) >= self._max_keys:
            # Still full of active sessions: drop the least recently used.
            del self._buckets[next(iter(self._buckets))]


class RedisRateLimiter:
    """The same buckets as RateLimiter, kept in Redis and shared by every web app."""

    def __init__(
        self,
        client: Redis,
        burst: int,
        per_minute: float,
        clock: Callable[[], float] = time.time,
        fallback: RateLimiter | None = None,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        self._rate = _refill_rate(burst, per_minute)
        self._burst = burst
        # Wall-clock time, not monotonic: the buckets are shared by processes on several
        # machines, and only the wall clock means the same on all of them.
        self._clock = clock
        self._take = client.register_script(_TAKE_TOKEN)
        self._fallback = fallback or RateLimiter(burst, per_minute)
        self._key_prefix = key_prefix
        self._redis_down = False

    async def check(self, key: str) -> Decision:
        """Take one token from `key`'s shared bucket if there is one."""
        args = [repr(self._clock()), self._burst, repr(self._rate)]
        try:
            allowed, retry_after = await self._take(keys=[self._key_prefix + key], args=args)
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            return await self._check_locally(key, error)
        if self._redis_down:
            self._redis_down = False
            log.info("Redis answers again: the web apps share the rate limits again")
        return Decision(allowed=bool(allowed), retry_after=float(retry_after))

    async def _check_locally(self, key: str, error: Exception) -> Decision:
        """Limit with this app's own buckets while Redis cannot be reached."""
        # A rate limit keeps one browser from flooding the bot; refusing every visitor
        # because Redis is down would take the chat away from all of them. So messages
        # pass, limited per web app as on one machine (at worst N apps allow N bursts),
        # and the outage is logged once, not for every message.
        if not self._redis_down:
            self._redis_down = True
            log.warning(
                "Redis cannot be reached for the shared rate limits (%s): each web app "
                "limits on its own until it answers",
                type(error).__name__,
            )
        return await self._fallback.check(key)
