"""The scale bench: load levels on each topology, the starter bot, a soak, one report.

Loads our bot through the web app at 20 and 50 concurrent conversations on one machine
(SQLite), on the cluster with 1 and with 2 replicas (PostgreSQL + Redis behind HAProxy),
and straight at Rasa's REST channel beside Rasa's `rasa init` starter bot; soaks the
2-replica cluster at 50 conversations; writes bench/results/scale.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from bench import console
from bench.contention import Contention, sample
from bench.machine import describe
from bench.processes import require_free_ports
from bench.scale.figures import (
    LOAD_GENERATOR,
    LevelFigures,
    ScaleResults,
    SoakFigures,
    cluster_name,
    memory_figures,
    project,
    summarise,
)
from bench.scale.proc import (
    cpu_delta,
    cpu_snapshot,
    own_cpu_seconds,
    rss_by_process,
    shared_servers,
)
from bench.scale.report import scale_markdown
from bench.scale.settings import ScaleSettings
from bench.scale.topologies import Running, cluster, create_starter, one_machine, starter
from bench.scale.traffic import REST, WEB, Channel, LoadPlan, run_load
from bench.settings import BenchError
from bot.runtime.cluster import ClusterConfig, check_stores, haproxy_binary
from bot.runtime.launcher import LaunchError

# Above this share of the CPU taken by other processes, a step is announced as such.
QUIET_LIMIT = 0.15
REPORT = "scale.md"


def check_prerequisites(settings: ScaleSettings) -> None:
    """Fail before anything starts when the scale bench cannot finish."""
    if not settings.model.exists():
        raise BenchError(f"there is no trained model at {settings.model}: run `make setup`")
    try:
        haproxy_binary()
        check_stores(
            ClusterConfig(
                database_url=settings.postgres_url,
                tracker_store_url=settings.postgres_url,
                redis_url=settings.redis_url,
            )
        )
    except LaunchError as error:
        raise BenchError(str(error)) from error
    require_free_ports(settings.ports())


@contextlib.contextmanager
def measured_step(contention: Contention, step: str) -> Iterator[None]:
    """Contention.measure, with PostgreSQL's and Redis's CPU counted as ours, not foreign.

    The servers this process starts are waited for when their topology stops, so the
    step must enclose the topology's whole life.
    """
    shared_before = cpu_snapshot(shared_servers())
    start = sample()
    yield
    end = sample()
    shared = sum(cpu_delta(shared_before, cpu_snapshot(shared_servers())).values())
    wall = end.wall - start.wall
    foreign = max(0.0, (end.busy - start.busy) - (end.ours - start.ours) - shared)
    contention.foreign_seconds += foreign
    contention.wall_seconds += wall
    contention.steps[step] = foreign / (wall * contention.cores) if wall else 0.0


def quiet(contention: Contention) -> None:
    """Before a step, give other processes on a shared machine time to settle."""
    share = contention.wait_for_quiet(limit=QUIET_LIMIT)
    if share >= QUIET_LIMIT:
        console.say(f"  other processes use {share:.0%} of the CPU; measuring anyway")


class _Accounting:
    """CPU of a topology's processes and of the load generator between two instants."""

    def __init__(self, running: Running) -> None:
        self.running = running
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self._before = cpu_snapshot(self.running.processes())
        self._own = own_cpu_seconds()

    def end(self) -> None:
        self.used = cpu_delta(self._before, cpu_snapshot(self.running.processes()))
        self.used[LOAD_GENERATOR] = own_cpu_seconds() - self._own


def _plan(settings: ScaleSettings, conversations: int, tag: str, **kwargs: float) -> LoadPlan:
    fields = {
        "conversations": conversations,
        "warmup_messages": settings.warmup_messages,
        "request_timeout": settings.request_timeout,
        "time_limit": settings.level_time_limit,
        "seed": settings.seed,
        "tag": tag,
    }
    return LoadPlan(**{**fields, **kwargs})  # type: ignore[arg-type]


def measure_level(
    settings: ScaleSettings, running: Running, kind: str, conversations: int
) -> LevelFigures:
    """Load one topology through one channel at one number of conversations."""
    url = running.web_url if kind == WEB else running.rasa_url
    if url is None:
        raise BenchError(f"the {running.name} has no {kind}")
    tag = f"{running.name.split()[0]}-{kind.split()[0]}-{conversations}"
    accounting = _Accounting(running)
    messages = (
        settings.single_visitor_messages if conversations == 1 else settings.messages_per_level
    )
    plan = _plan(settings, conversations, tag, messages=messages)
    load = asyncio.run(run_load(Channel(kind, url), plan, accounting.start, accounting.end))
    level = summarise(load, running.name, kind, accounting.used)
    console.say(
        f"  {running.name}, {kind}, {conversations} conv.: {level.throughput:.1f} msg/s, p50 "
        f"{level.p50 * 1000:.0f} ms, p95 {level.p95 * 1000:.0f} ms, errors {level.error_count}"
        + (f", on script {level.on_script}/{level.expected}" if running.web_url else "")
    )
    return level


def soak(settings: ScaleSettings, running: Running) -> SoakFigures:
    """Load the topology for the soak's duration, sampling every process's memory."""
    series: dict[str, list[tuple[float, float]]] = {}
    began: list[float] = []

    def record() -> None:
        now = time.perf_counter()
        if not began:
            began.append(now)
        for name, rss in rss_by_process(running.own_processes()).items():
            series.setdefault(name, []).append((now - began[0], float(rss)))

    accounting = _Accounting(running)
    window_open = asyncio.Event()

    def start() -> None:
        accounting.start()
        window_open.set()

    async def load_and_sample() -> LevelFigures:
        finished = asyncio.Event()

        async def sampler() -> None:
            await window_open.wait()
            while not finished.is_set():
                record()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(finished.wait(), settings.soak_sample_seconds)
            record()

        task = asyncio.create_task(sampler())
        plan = _plan(
            settings,
            settings.soak_conversations,
            f"soak-{settings.soak_conversations}",
            duration=settings.soak_minutes * 60,
            time_limit=settings.soak_minutes * 60 + settings.level_time_limit,
        )
        channel = Channel(WEB, running.web_url or "")
        load = await run_load(channel, plan, start, accounting.end)
        finished.set()
        await task
        return summarise(load, running.name, WEB, accounting.used)

    level = asyncio.run(load_and_sample())
    memory = tuple(memory_figures(name, points) for name, points in series.items())
    console.say(
        f"  soak: {level.messages} messages, {level.error_count} errors, "
        f"{level.throughput:.1f} msg/s"
    )
    return SoakFigures(level, settings.soak_minutes, settings.soak_sample_seconds, memory)


def _levels(settings: ScaleSettings, running: Running, kind: str) -> list[LevelFigures]:
    return [measure_level(settings, running, kind, c) for c in settings.concurrency_levels]


def run_scale(settings: ScaleSettings) -> ScaleResults:
    """Run every topology's levels, the starter bot's and the soak; return the results."""
    started = time.perf_counter()
    check_prerequisites(settings)
    machine = describe()
    contention = Contention()
    levels: list[LevelFigures] = []
    console.say("creating the `rasa init` starter bot (rasa init --no-prompt trains it)")
    project_dir, starter_seconds = create_starter(settings)
    console.say(f"  {starter_seconds:.0f} s")

    console.say(
        "one machine: `asf-bot run`'s topology (SQLite, in-memory lock store), and the "
        "starter bot beside it (`rasa run`); they take turns"
    )
    quiet(contention)
    with (
        measured_step(contention, "one machine and the starter bot"),
        one_machine(settings) as ours,
        starter(settings, project_dir) as theirs,
    ):
        if settings.single_visitor:
            levels.append(measure_level(settings, ours, WEB, 1))
        # Level by level, ours and the starter bot one right after the other: a shared
        # machine's speed drifts, and the comparison should not.
        for conversations in settings.concurrency_levels:
            levels.append(measure_level(settings, ours, WEB, conversations))
            levels.append(measure_level(settings, ours, REST, conversations))
            levels.append(measure_level(settings, theirs, REST, conversations))
    soaked = None
    for replicas in (1, 2):
        console.say(f"{cluster_name(replicas)} behind HAProxy")
        quiet(contention)
        with (
            measured_step(contention, f"cluster {replicas}"),
            cluster(settings, replicas) as running,
        ):
            levels += _levels(settings, running, WEB)
            if replicas == settings.soak_replicas:
                console.say(
                    f"soak: {settings.soak_minutes:g} min at {settings.soak_conversations} "
                    "conversations"
                )
                soaked = soak(settings, running)
    basis = next(
        (
            level
            for level in reversed(levels)
            if level.topology == cluster_name(settings.soak_replicas) and level.cpu_per_message
        ),
        None,
    )
    return ScaleResults(
        machine=machine,
        quick=settings.quick,
        runtime_seconds=time.perf_counter() - started,
        contention_share=contention.share,
        contention_steps=dict(contention.steps),
        levels=tuple(levels),
        soak=soaked,
        starter_training_seconds=starter_seconds,
        warmup_messages=settings.warmup_messages,
        messages_per_level=settings.messages_per_level,
        model=_shown(settings.model),
        projection=project(basis.cpu_per_message, settings.projection_cores) if basis else None,
        projection_level=basis,
    )


def _shown(path: Path) -> str:
    from bench.collect import relative

    return relative(path)


def write_report(results: ScaleResults, folder: Path) -> Path:
    """Write scale.md into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT
    path.write_text(scale_markdown(results), encoding="utf-8")
    return path
