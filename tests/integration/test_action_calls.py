"""The Rasa server calls the action server over kept connections (bot/nlp/action_calls.py)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.nlp import action_calls


@pytest.fixture
def kept():
    action_calls.install()
    yield
    action_calls.uninstall()


async def serve(received: list, peers: set):
    """A small HTTP server that answers like an action server and notes each connection."""

    async def webhook(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        received.append((dict(request.headers), await request.json()))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app, keepalive_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/webhook"


def test_calls_share_one_connection_and_send_the_same_json(kept):
    body = {"next_action": "action_x", "tracker": {"text": "Hej/då åäö", "confidence": 0.25}}

    async def run():
        received, peers = [], set()
        runner, url = await serve(received, peers)
        endpoint = EndpointConfig(url, headers={"Authorization": "Bearer s3cret"})
        try:
            answers = [await endpoint.request(json=body) for _ in range(5)]
        finally:
            await action_calls.close_sessions()
            await runner.cleanup()
        return answers, received, peers

    answers, received, peers = asyncio.run(run())
    assert answers == [{"events": [], "responses": []}] * 5
    assert [json for _, json in received] == [body] * 5
    assert all(headers["Authorization"] == "Bearer s3cret" for headers, _ in received)
    assert len(peers) == 1


def test_an_idle_connection_is_dropped_by_the_client_before_the_server_drops_it(kept):
    async def run():
        received, peers = [], set()
        runner, url = await serve(received, peers)
        endpoint = EndpointConfig(url)
        try:
            await endpoint.request(json={"n": 1})
            await asyncio.sleep(action_calls.IDLE_CONNECTION_SECONDS + 1.0)
            await endpoint.request(json={"n": 2})
        finally:
            await action_calls.close_sessions()
            await runner.cleanup()
        return received, peers

    received, peers = asyncio.run(run())
    assert [json for _, json in received] == [{"n": 1}, {"n": 2}]
    assert len(peers) == 2


def test_a_server_that_went_away_and_came_back_is_reached_again(kept):
    async def run():
        received, peers = [], set()
        runner, url = await serve(received, peers)
        endpoint = EndpointConfig(url)
        await endpoint.request(json={"n": 1})
        await runner.cleanup()
        with pytest.raises(aiohttp.ClientConnectionError):
            await endpoint.request(json={"n": 2})
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        app = web.Application()

        async def webhook(request: web.Request) -> web.Response:
            received.append((dict(request.headers), await request.json()))
            return web.json_response({"ok": True})

        app.router.add_post("/webhook", webhook)
        again = web.AppRunner(app)
        await again.setup()
        await web.TCPSite(again, "127.0.0.1", port).start()
        try:
            answer = await endpoint.request(json={"n": 3})
        finally:
            await action_calls.close_sessions()
            await again.cleanup()
        return answer, received

    answer, received = asyncio.run(run())
    assert answer == {"ok": True}
    assert [json for _, json in received] == [{"n": 1}, {"n": 3}]


def test_each_event_loop_gets_its_own_session_and_close_leaves_none_open(kept):
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def session():
        async with endpoint.session() as s:
            return s

    async def twice():
        first, second = await session(), await session()
        await action_calls.close_sessions()
        return first, second

    first, second = asyncio.run(twice())
    third, _ = asyncio.run(twice())
    assert first is second
    assert third is not first
    assert first.closed and third.closed
