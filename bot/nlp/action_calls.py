"""The Rasa server's calls to the action server, over kept connections.

Rasa 3.6 opens a new aiohttp session, and with it a new TCP connection, for every call
to the action server (`EndpointConfig.request` does `async with self.session()`), and
writes the whole conversation into the request body with the standard library's json.
Under load (py-spy on the Rasa server, bench/results/scale.md) the new connections cost
about 3 % of the server's CPU and the JSON about 6 %.

Here each endpoint keeps one session per event loop: its connections stay open between
calls, and it writes request bodies with ujson (the same JSON, several times faster).
The client drops an idle connection after two seconds, before the action server's own
keep-alive timeout (Sanic's five seconds), so a call never lands on a connection the
server has just closed. Headers, authentication and the timeout are Rasa's. The kept
sessions are closed when the Rasa server stops.

`install()` is called by `python -m bot.runtime.rasa_server` before Rasa starts.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from typing import Any

import aiohttp
import rasa.core.run
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

# Shorter than the action server's keep-alive timeout (Sanic's default, 5 s).
IDLE_CONNECTION_SECONDS = 2.0

_dumps = functools.partial(ujson.dumps, ensure_ascii=False, escape_forward_slashes=False)
_original_session = EndpointConfig.session
_original_close_resources = rasa.core.run.close_resources
_open: weakref.WeakSet[aiohttp.ClientSession] = weakref.WeakSet()


class _Kept:
    """`async with` gives the endpoint's kept session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session configured as Rasa's `EndpointConfig.session` configures it."""
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
        json_serialize=_dumps,
    )


def kept_session(self: EndpointConfig) -> Any:
    """The endpoint's session for the running event loop, made on first use."""
    loop = asyncio.get_running_loop()
    kept = self.__dict__.get("_kept_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = (loop, _new_session(self))
        self.__dict__["_kept_session"] = kept
        _open.add(kept[1])
    return _Kept(kept[1])


async def close_sessions() -> None:
    """Close every kept session of the running event loop."""
    for session in list(_open):
        if not session.closed and session._loop is asyncio.get_running_loop():
            await session.close()


async def close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Rasa's shutdown listener, then the kept sessions."""
    await _original_close_resources(app, loop)
    await close_sessions()


def install() -> None:
    """Keep the action server's connections in this process (safe to call more than once)."""
    EndpointConfig.session = kept_session  # type: ignore[method-assign]
    rasa.core.run.close_resources = close_resources


def uninstall() -> None:
    """Put Rasa's own session back (for tests)."""
    EndpointConfig.session = _original_session  # type: ignore[method-assign]
    rasa.core.run.close_resources = _original_close_resources
