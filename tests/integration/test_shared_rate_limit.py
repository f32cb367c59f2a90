"""Rate limits shared by web apps through Redis: one conversation, one budget."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
import redis.asyncio
from aiohttp import web

from bot.runtime.settings import Settings
from bot.web.app import create_app
from bot.web.ratelimit import KEY_PREFIX, RateLimiter, RedisRateLimiter
from tests.conftest import free_port

RATE_LIMITED = "Du har skickat många meddelanden på kort tid. Vänta en stund och försök igen."


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis_client(redis_url):
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.close(close_connection_pool=True)


@pytest.fixture
def shared(redis_client, redis_prefix):
    """Make Redis limiters on the test's own keys."""

    def make(burst: int, per_minute: float, clock: Clock) -> RedisRateLimiter:
        return RedisRateLimiter(
            redis_client, burst, per_minute, clock=clock, key_prefix=f"{redis_prefix}:"
        )

    return make


@pytest.fixture(params=["memory", "redis"])
def limiter(request):
    """Make a limiter of either kind: they must behave alike."""
    if request.param == "memory":
        return RateLimiter
    return request.getfixturevalue("shared")


async def allowed(limiter, key: str, times: int) -> list[bool]:
    return [(await limiter.check(key)).allowed for _ in range(times)]


async def test_a_burst_passes_then_the_next_message_waits_for_a_token(limiter):
    check = limiter(burst=3, per_minute=30, clock=Clock())
    assert await allowed(check, "a", 3) == [True, True, True]
    refused = await check.check("a")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(2.0)


async def test_tokens_come_back_at_the_configured_rate_up_to_the_burst(limiter):
    clock = Clock()
    check = limiter(burst=2, per_minute=60, clock=clock)
    assert await allowed(check, "a", 3) == [True, True, False]
    clock.now += 1.0
    assert await allowed(check, "a", 2) == [True, False]
    clock.now += 3600
    assert await allowed(check, "a", 3) == [True, True, False]


async def test_each_session_has_its_own_bucket(limiter):
    check = limiter(burst=1, per_minute=1, clock=Clock())
    assert await allowed(check, "a", 2) == [True, False]
    assert await allowed(check, "b", 1) == [True]


async def test_a_refused_message_does_not_spend_a_token(limiter):
    clock = Clock()
    check = limiter(burst=1, per_minute=60, clock=clock)
    assert await allowed(check, "a", 6) == [True] + [False] * 5
    clock.now += 1.0
    assert await allowed(check, "a", 1) == [True]


async def test_two_limiters_on_one_redis_spend_one_budget(shared):
    clock = Clock()
    first, second = shared(3, 30, clock), shared(3, 30, clock)
    assert await allowed(first, "a", 2) == [True, True]
    assert await allowed(second, "a", 2) == [True, False]
    assert await allowed(first, "a", 1) == [False]


async def test_messages_at_the_same_instant_never_spend_one_token_twice(
    shared, redis_url, redis_prefix
):
    # Two web apps, each with its own connections, checking one conversation at once.
    other = redis.asyncio.Redis.from_url(redis_url)
    try:
        clock = Clock()
        apps = [
            shared(5, 1, clock),
            RedisRateLimiter(other, 5, 1, clock, key_prefix=f"{redis_prefix}:"),
        ]
        decisions = await asyncio.gather(*(apps[i % 2].check("a") for i in range(40)))
    finally:
        await other.close(close_connection_pool=True)
    assert sum(d.allowed for d in decisions) == 5


async def test_a_web_app_whose_clock_is_behind_mints_no_tokens(shared):
    ahead, behind = Clock(1_000_000.0), Clock(999_990.0)
    assert await allowed(shared(1, 6, ahead), "a", 1) == [True]
    # Ten seconds behind: the bucket is still empty, and it does not get older either.
    assert await allowed(shared(1, 6, behind), "a", 1) == [False]
    ahead.now += 5
    assert await allowed(shared(1, 6, ahead), "a", 1) == [False]
    ahead.now += 5
    assert await allowed(shared(1, 6, ahead), "a", 1) == [True]


async def test_an_idle_conversation_leaves_nothing_in_redis_once_its_bucket_is_full(
    shared, redis_client, redis_prefix
):
    key = f"{redis_prefix}:a"
    await shared(10, 30, Clock()).check("a")
    # One token spent, back in two seconds: the key lives that long and no longer.
    assert 0 < await redis_client.pttl(key) <= 2001
    await shared(2, 6000, Clock()).check("b")  # refilled in 10 ms
    await asyncio.sleep(0.1)
    assert await redis_client.exists(f"{redis_prefix}:b") == 0


class FakeRasa:
    """Rasa's REST channel, answering every message it is sent."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.url = ""

    def app(self) -> web.Application:
        async def webhook(request: web.Request) -> web.Response:
            self.received.append((await request.json())["message"])
            return web.json_response([{"text": "Svar."}])

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        return app


@pytest.fixture
async def rasa(aiohttp_server):
    fake = FakeRasa()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def session(redis_client):
    """A visitor's session id of this test alone; its bucket is deleted afterwards."""
    session = f"test-{uuid.uuid4().hex}"
    yield session
    await redis_client.delete(KEY_PREFIX + session)


async def say(client, session: str, text: str) -> tuple[int, dict]:
    response = await client.post("/api/chat", json={"session": session, "message": text})
    return response.status, await response.json()


async def test_two_web_apps_share_one_conversations_budget(
    aiohttp_client, monkeypatch, rasa, redis_url, session
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RASA_URL", rasa.url)
    monkeypatch.setenv("RATE_LIMIT_BURST", "3")
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1")
    first = await aiohttp_client(create_app(Settings.from_env()))
    second = await aiohttp_client(create_app(Settings.from_env()))
    # A load balancer without sticky sessions sends each message to either app.
    for client, text in [(first, "ett"), (second, "två"), (first, "tre")]:
        assert (await say(client, session, text))[0] == 200
    for client in (second, first):
        status, body = await say(client, session, "fyra")
        assert (status, body) == (429, {"message": RATE_LIMITED})
    assert rasa.received == ["ett", "två", "tre"]


async def test_without_redis_each_web_app_still_limits_and_says_so_once_in_its_log(
    aiohttp_client, rasa, caplog
):
    caplog.set_level(logging.INFO)
    session = f"test-{uuid.uuid4().hex}"
    settings = Settings(
        rasa_url=rasa.url,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        rate_limit_burst=2,
        rate_limit_per_minute=1,
    )
    client = await aiohttp_client(create_app(settings))
    # Visitors are still answered, and a flood is still refused, by this app alone.
    assert [(await say(client, session, "hej"))[0] for _ in range(3)] == [200, 200, 429]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Redis cannot be reached" in warnings[0].getMessage()
    assert session not in caplog.text
