"""A closed-loop load generator: scripted visitors, each sending its next message when the
answer to the last one has arrived, through the web app or straight to Rasa's REST channel.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.scale.visitors import Step, conversations

WEB = "web app"
REST = "REST channel"

# What became of one message.
OK = "ok"
# HTTP 200 but nothing to show (the web app answers such a turn with 503 instead).
SILENT = "silent"
RATE_LIMITED = "rate limited"
HTTP_ERROR = "HTTP error"
# No HTTP answer at all: refused, reset, or the client's timeout.
FAILED = "no answer"


@dataclass(frozen=True)
class Channel:
    """Where the visitors send their messages."""

    kind: str  # WEB or REST
    base_url: str

    @property
    def url(self) -> str:
        path = "/api/chat" if self.kind == WEB else "/webhooks/rest/webhook"
        return self.base_url.rstrip("/") + path

    def payload(self, session: str, text: str) -> dict[str, str]:
        """The JSON body the widget (web app) or a REST client (Rasa) sends."""
        if self.kind == WEB:
            return {"session": session, "message": text}
        return {"sender": session, "message": text}


@dataclass(frozen=True)
class Sample:
    """One message: when it was sent, when its answer came, and what came."""

    started: float
    finished: float
    outcome: str
    status: int
    kind: str
    # Whether the answer held what the script expected there (None: nothing expected).
    on_script: bool | None
    # Sent after the warm-up: counted in latencies and errors.
    measured: bool

    @property
    def latency(self) -> float:
        return self.finished - self.started


@dataclass(frozen=True)
class LoadRun:
    """Every message of one load run and the window in which all visitors were busy."""

    conversations: int
    samples: tuple[Sample, ...]
    # From the first measured message until the last was sent (or the duration ended).
    window: tuple[float, float]
    # The run stopped at its time limit before sending every planned message.
    timed_out: bool


@dataclass(frozen=True)
class LoadPlan:
    """How many visitors, and how long they talk."""

    conversations: int
    warmup_messages: int
    # Either a number of measured messages or a duration in seconds.
    messages: int | None = None
    duration: float | None = None
    request_timeout: float = 60.0
    time_limit: float = 600.0
    seed: int = 12
    tag: str = "load"


def session_id(run: str, tag: str, visitor: int, number: int) -> str:
    """A session id of the widget's shape ([A-Za-z0-9_-]{16,64}), unique to this run."""
    clean = "".join(c if c.isalnum() or c in "_-" else "-" for c in tag)[:24]
    return f"{run}-{clean}-v{visitor:03d}-c{number:05d}"


def reply_texts(kind: str, body: Any) -> list[str] | None:
    """The texts and button titles of the bot's replies; None when the body is not an answer."""
    items = body.get("replies") if kind == WEB and isinstance(body, dict) else body
    if not isinstance(items, list):
        return None
    texts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        texts.append(str(item.get("text") or ""))
        texts += [str(b.get("title", "")) for b in item.get("buttons") or [] if isinstance(b, dict)]
    return [t for t in texts if t]


def classify(status: int, texts: list[str] | None) -> str:
    """What became of a message with this HTTP status and these reply texts."""
    if status == 429:
        return RATE_LIMITED
    if status != 200 or texts is None:
        return HTTP_ERROR
    return OK if texts else SILENT


def on_script(step: Step, texts: Sequence[str] | None) -> bool | None:
    """Whether an answer holds what the script expects at this step (None: nothing expected)."""
    if step.expect is None:
        return None
    return any(step.expect in text for text in texts or ())


async def _send(
    session: aiohttp.ClientSession, channel: Channel, conversation: str, step: Step
) -> tuple[int, list[str] | None]:
    async with session.post(channel.url, json=channel.payload(conversation, step.text)) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return response.status, reply_texts(channel.kind, body)


async def run_load(
    channel: Channel,
    plan: LoadPlan,
    on_window_start: Callable[[], None] = lambda: None,
    on_window_end: Callable[[], None] = lambda: None,
) -> LoadRun:
    """Let `plan.conversations` visitors talk until the plan's messages or duration are done.

    The first `warmup_messages` messages are sent but not measured; the window opens
    with the first measured one (`on_window_start` is called then) and closes when the
    last planned message is sent or the duration is over (`on_window_end`).
    """
    run = secrets.token_hex(4)
    samples: list[Sample] = []
    issued = 0
    window: list[float] = []
    started = time.perf_counter()
    limit = started + plan.time_limit
    timed_out = False

    def take_ticket() -> bool | None:
        """True: send a measured message; False: a warm-up one; None: stop."""
        nonlocal issued, timed_out
        now = time.perf_counter()
        if len(window) == 2:
            return None
        if now > limit:
            timed_out = plan.messages is not None
            _close(now)
            return None
        if issued == plan.warmup_messages:
            window.append(now)
            on_window_start()
        measured = issued >= plan.warmup_messages
        if measured and plan.duration is not None and now - window[0] >= plan.duration:
            _close(now)
            return None
        issued += 1
        if plan.messages is not None and issued == plan.warmup_messages + plan.messages:
            _close(now)
        return measured

    def _close(now: float) -> None:
        if len(window) == 1:
            window.append(now)
            on_window_end()
        elif not window:
            window.extend((now, now))

    async def visitor(number: int, session: aiohttp.ClientSession) -> None:
        for count, steps in enumerate(conversations(plan.seed, number)):
            conversation = session_id(run, plan.tag, number, count)
            for step in steps:
                measured = take_ticket()
                if measured is None:
                    return
                begin = time.perf_counter()
                try:
                    status, texts = await _send(session, channel, conversation, step)
                    outcome = classify(status, texts)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    status, texts, outcome = 0, None, FAILED
                samples.append(
                    Sample(
                        started=begin,
                        finished=time.perf_counter(),
                        outcome=outcome,
                        status=status,
                        kind=step.kind,
                        on_script=on_script(step, texts),
                        measured=measured,
                    )
                )

    timeout = aiohttp.ClientTimeout(total=plan.request_timeout)
    connector = aiohttp.TCPConnector(limit=plan.conversations)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(visitor(n, session) for n in range(plan.conversations)))
    if len(window) < 2:
        _close(time.perf_counter())
    return LoadRun(plan.conversations, tuple(samples), (window[0], window[1]), timed_out)
