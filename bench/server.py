"""Start the bot with one model, time its first answer, load it and read its memory."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.load import LoadResult, first_reply, parse_latencies, run_level
from bench.processes import Memory, environment, memory, require_free_ports
from bench.settings import BenchError, BenchSettings
from bot.runtime.launcher import LaunchConfig, LaunchError, Supervisor
from bot.storage.migrate import upgrade

FIRST_MESSAGE = "hej"
WARMUP_CONCURRENCY = 4
PARSE_MESSAGES = 100


@dataclass(frozen=True)
class ServerResult:
    """What one pipeline's running bot measured."""

    ready_seconds: float
    first_answer_seconds: float
    memory_after_warmup: Memory
    memory_after_load: Memory
    levels: tuple[LoadResult, ...]
    # NLU alone, for comparison with a whole turn at one conversation.
    parse_latencies: tuple[float, ...]


def bench_ports(settings: BenchSettings) -> dict[str, int]:
    """The ports the launcher's servers will listen on, by server."""
    return {
        "Rasa server": settings.rasa_port,
        "action server": settings.action_port,
        "web app": settings.web_port,
        "mail sink": settings.mail_port,
    }


def _launch_config(settings: BenchSettings, model: Path, name: str) -> LaunchConfig:
    var_dir = settings.work_dir / "var" / name
    # A fresh tracker store and app database per run: earlier conversations would slow
    # the stores down.
    shutil.rmtree(var_dir, ignore_errors=True)
    return LaunchConfig(
        rasa_port=settings.rasa_port,
        action_port=settings.action_port,
        web_port=settings.web_port,
        mail_port=settings.mail_port,
        model=model,
        var_dir=var_dir,
        startup_timeout=settings.startup_timeout,
    )


@contextmanager
def isolated_environment(var_dir: Path) -> Iterator[None]:
    """Inside this block, servers get their own app database and never mail anyone."""
    # The actions keep consents, checklist results and tickets in the app database; the
    # developer's var/app.db is left alone. Without SMTP_HOST the launcher sends staff
    # mail to its local sink, so the bench's questions never reach a real mailbox.
    url = f"sqlite:///{var_dir / 'app.db'}"
    upgrade(url)
    with environment({"DATABASE_URL": url}, unset=("SMTP_HOST",)):
        yield


def measure_server(
    settings: BenchSettings, model: Path, name: str, texts: list[str]
) -> ServerResult:
    """Run the bot with `model` on the bench ports, measure it, and always stop it."""
    # Give the previous run's servers a moment to release the ports.
    require_free_ports(bench_ports(settings), wait=10.0)
    config = _launch_config(settings, model, name)
    supervisor = Supervisor(config)
    try:
        with isolated_environment(config.var_dir):
            return _measure(settings, supervisor, name, texts)
    except (LaunchError, TimeoutError) as error:
        raise BenchError(f"the bot with the {name} model failed: {error}") from error
    finally:
        supervisor.stop()


def _measure(
    settings: BenchSettings, supervisor: Supervisor, name: str, texts: list[str]
) -> ServerResult:
    config = supervisor.config
    started = time.perf_counter()
    supervisor.start()
    ready = time.perf_counter() - started
    asyncio.run(first_reply(config.rasa_url, FIRST_MESSAGE, settings.request_timeout))
    first_answer = time.perf_counter() - started
    rasa_pid = supervisor.processes["Rasa server"].pid
    # Each pipeline gets the same messages in the same order.
    shuffled = random.Random(0).sample(texts, len(texts))

    def level(concurrency: int, messages: int, tag: str) -> LoadResult:
        return asyncio.run(
            run_level(
                rasa_url=config.rasa_url,
                texts=shuffled,
                concurrency=concurrency,
                messages=messages,
                conversation_length=settings.conversation_length,
                tag=f"{name}-{tag}",
                request_timeout=settings.request_timeout,
                level_timeout=settings.level_timeout,
            )
        )

    level(WARMUP_CONCURRENCY, settings.warmup_messages, "warmup")
    after_warmup = memory(rasa_pid)
    levels = tuple(
        level(c, settings.messages_per_level, "load") for c in settings.concurrency_levels
    )
    supervisor.check_alive()
    after_load = memory(rasa_pid)
    parse = asyncio.run(
        parse_latencies(
            config.rasa_url, config.token, shuffled, PARSE_MESSAGES, settings.request_timeout
        )
    )
    return ServerResult(ready, first_answer, after_warmup, after_load, levels, parse)
