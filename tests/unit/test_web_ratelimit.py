import pytest

from bot.web.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_passes_then_the_next_message_waits_for_a_token():
    clock = Clock()
    limiter = RateLimiter(burst=3, per_minute=30, clock=clock)
    assert [(await limiter.check("a")).allowed for _ in range(3)] == [True, True, True]
    refused = await limiter.check("a")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(2.0)


async def test_tokens_come_back_at_the_configured_rate_up_to_the_burst():
    clock = Clock()
    limiter = RateLimiter(burst=2, per_minute=60, clock=clock)
    await limiter.check("a")
    await limiter.check("a")
    assert not (await limiter.check("a")).allowed
    clock.now += 1.0
    assert (await limiter.check("a")).allowed
    assert not (await limiter.check("a")).allowed
    clock.now += 3600
    assert [(await limiter.check("a")).allowed for _ in range(3)] == [True, True, False]


async def test_each_session_has_its_own_bucket():
    limiter = RateLimiter(burst=1, per_minute=1, clock=Clock())
    assert (await limiter.check("a")).allowed
    assert not (await limiter.check("a")).allowed
    assert (await limiter.check("b")).allowed


async def test_a_refused_message_does_not_spend_a_token():
    clock = Clock()
    limiter = RateLimiter(burst=1, per_minute=60, clock=clock)
    await limiter.check("a")
    for _ in range(5):
        assert not (await limiter.check("a")).allowed
    clock.now += 1.0
    assert (await limiter.check("a")).allowed


async def test_memory_stays_bounded_when_many_new_sessions_arrive():
    clock = Clock()
    limiter = RateLimiter(burst=5, per_minute=60, clock=clock, max_keys=100)
    for i in range(1000):
        await limiter.check(f"session-{i}")
    assert len(limiter) <= 100


async def test_a_busy_session_is_remembered_while_idle_ones_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(burst=1, per_minute=1, clock=clock, max_keys=3)
    await limiter.check("busy")
    for i in range(10):
        await limiter.check(f"new-{i}")
        assert not (await limiter.check("busy")).allowed  # still limited: not forgotten


@pytest.mark.parametrize(("burst", "per_minute"), [(0, 10), (5, 0), (5, -1)])
def test_nonsense_limits_are_refused(burst, per_minute):
    with pytest.raises(ValueError):
        RateLimiter(burst=burst, per_minute=per_minute)
