"""Security headers reach every kind of response the web app sends."""

import re

import pytest

from bot.runtime.settings import Settings
from bot.web.app import create_app


@pytest.fixture
async def client(aiohttp_client):
    return await aiohttp_client(create_app(Settings(rasa_url="http://127.0.0.1:9")))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/integritet"),
        ("GET", "/radgivning"),
        ("GET", "/static/radgivning.js"),
        ("GET", "/health"),
        ("GET", "/static/widget.js"),
        ("GET", "/static/widget.css"),
        ("GET", "/no/such/page"),
        ("GET", "/api/chat"),
        ("POST", "/api/chat"),
    ],
)
async def test_every_response_carries_the_security_headers(client, method, path):
    response = await client.request(method, path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_chat_answers_are_never_cached(client):
    response = await client.post("/api/chat", json={})
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_pages_have_no_inline_script_or_style(client):
    for path in ("/", "/integritet", "/radgivning"):
        html = await (await client.get(path)).text()
        assert "<style" not in html and "style=" not in html
        assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no onclick= and the like
        assert "<script>" not in html
