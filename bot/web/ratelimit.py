"""Per-conversation rate limiting: a token bucket for each session id.

Pure Python with an injectable clock, so tests can move time by hand. Awaited
(`await limiter.check(session)`), so that a limiter that asks another process can
stand in for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


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
