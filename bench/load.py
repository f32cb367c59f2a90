"""Send messages over the REST channel from concurrent conversations and time the replies."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import aiohttp

from bench.metrics import percentile


@dataclass(frozen=True)
class LoadResult:
    """Latencies and throughput at one concurrency level."""

    concurrency: int
    planned: int
    answered: int
    # Turns the bot processed without uttering anything (answered, but with no text).
    silent: int
    errors: int
    seconds: float
    latencies: tuple[float, ...]
    timed_out: bool

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def throughput(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


async def send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> list[dict] | None:
    """Post one message; return the bot's replies, or None if the request failed."""
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        if response.status != 200:
            return None
        replies = await response.json()
        return replies if isinstance(replies, list) else None


async def run_level(
    rasa_url: str,
    texts: Sequence[str],
    concurrency: int,
    messages: int,
    conversation_length: int,
    tag: str,
    request_timeout: float,
    level_timeout: float,
) -> LoadResult:
    """Send `messages` messages from `concurrency` conversations at once, bounded in time."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    order: Iterator[str] = itertools.cycle(texts)
    tickets = iter(range(messages))
    latencies: list[float] = []
    errors = silent = 0
    started = time.perf_counter()
    deadline = started + level_timeout

    async def conversation(worker: int, session: aiohttp.ClientSession) -> None:
        nonlocal errors, silent
        for sent in itertools.count():
            if next(tickets, None) is None or time.perf_counter() > deadline:
                return
            sender = f"bench-{tag}-c{concurrency}-w{worker}-{sent // conversation_length}"
            begin = time.perf_counter()
            try:
                replies = await send(session, url, sender, next(order))
            except (aiohttp.ClientError, asyncio.TimeoutError):
                replies = None
            if replies is None:
                errors += 1
                continue
            latencies.append(time.perf_counter() - begin)
            silent += not replies

    timeout = aiohttp.ClientTimeout(total=request_timeout)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(conversation(w, session) for w in range(concurrency)))
    seconds = time.perf_counter() - started
    return LoadResult(
        concurrency=concurrency,
        planned=messages,
        answered=len(latencies),
        silent=silent,
        errors=errors,
        seconds=seconds,
        latencies=tuple(latencies),
        timed_out=len(latencies) + errors < messages,
    )


async def first_reply(rasa_url: str, text: str, timeout: float) -> float:
    """Send one message and return the time until the reply arrived, retrying until it does."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        while True:
            begin = time.perf_counter()
            try:
                if await send(session, url, "bench-first-answer", text):
                    return time.perf_counter() - begin
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply from {url} within {timeout:.0f} s")
            await asyncio.sleep(0.2)


async def parse_latencies(
    rasa_url: str, token: str, texts: Sequence[str], messages: int, timeout: float
) -> tuple[float, ...]:
    """Time NLU alone: POST /model/parse one message at a time (no tracker, no actions)."""
    url = f"{rasa_url}/model/parse"
    latencies = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        for text in itertools.islice(itertools.cycle(texts), messages):
            begin = time.perf_counter()
            async with session.post(url, params={"token": token}, json={"text": text}) as reply:
                if reply.status == 200:
                    await reply.json()
                    latencies.append(time.perf_counter() - begin)
    return tuple(latencies)
