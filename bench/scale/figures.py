"""The scale bench's figures from raw samples, and the issue's targets checked against them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.figures import Target
from bench.machine import Machine
from bench.metrics import percentile
from bench.scale.traffic import OK, RATE_LIMITED, REST, SILENT, WEB, LoadRun

ONE_MACHINE = "one machine (SQLite)"
# What counts as handled in throughput and latency: every HTTP 200. An answer with nothing
# in it is an error for our bot, and the starter bot's way of saying nothing.
ANSWERED = (OK, SILENT)
STARTER = "`rasa init` starter bot"


def cluster_name(replicas: int) -> str:
    """The topology's name in the report."""
    return f"cluster, {replicas} replica{'s' if replicas > 1 else ''} (PostgreSQL + Redis)"


# The targets.
P95_OVER_P50 = 2.5
P95_CONCURRENCY = 20
STARTER_THROUGHPUT_FACTOR = 2.0
STARTER_P95_FACTOR = 0.5
# Two replicas "lose nothing" against one: throughput not lower by more than this share,
# which is about the spread of repeated levels on this machine.
REPLICA_NOISE = 0.05
# Memory is flat when, over the soak's second half, no process grows by more than this
# share of its resident memory per minute (or FLAT_FLOOR_MB per minute, for small ones).
FLAT_SHARE_PER_MINUTE = 0.01
FLAT_FLOOR_MB = 1.0
# The processes a machine per replica runs; the rest is shared (load balancer, database).
REPLICA_ROLES = ("web app", "Rasa server", "action server")
LOAD_BALANCER_ROLES = ("HAProxy",)
DATABASE_ROLES = ("PostgreSQL", "Redis")
# Roles that are one Python process with one event loop: at most one core each.
SINGLE_CORE_ROLES = ("web app", "Rasa server", "action server", "Redis")
LOAD_GENERATOR = "load generator (the bench)"


@dataclass(frozen=True)
class KindFigures:
    """Latencies of one kind of message."""

    kind: str
    messages: int
    p50: float
    p95: float


@dataclass(frozen=True)
class LevelFigures:
    """One load level: a topology, a channel, a number of conversations."""

    topology: str
    channel: str
    conversations: int
    messages: int
    ok: int
    # Non-ok outcomes by kind (rate limited included; see `rate_limited`).
    errors: dict[str, int]
    throughput: float
    p50: float
    p95: float
    p99: float
    window_seconds: float
    # Steps with an expected answer, and how many got it.
    expected: int
    on_script: int
    timed_out: bool
    by_kind: tuple[KindFigures, ...] = ()
    # CPU seconds per answered message by role during the window (empty: not measured).
    cpu_per_message: dict[str, float] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate_limited(self) -> int:
        return self.errors.get(RATE_LIMITED, 0)

    @property
    def spread(self) -> float:
        """p95 over p50."""
        return self.p95 / self.p50 if self.p50 else math.nan


def summarise(
    run: LoadRun,
    topology: str,
    channel: str,
    cpu_seconds: Mapping[str, float] | None = None,
) -> LevelFigures:
    """Figures of one load run; `cpu_seconds` by role is what each used during the window."""
    measured = [s for s in run.samples if s.measured]
    ok = [s for s in measured if s.outcome == OK]
    latencies = [s.latency for s in measured if s.outcome in ANSWERED]
    errors: dict[str, int] = {}
    for s in measured:
        if s.outcome != OK:
            errors[s.outcome] = errors.get(s.outcome, 0) + 1
    start, end = run.window
    seconds = end - start
    done = [s for s in run.samples if start <= s.finished <= end and s.outcome in ANSWERED]
    throughput = len(done) / seconds if seconds > 0 else 0.0
    expected = [s for s in measured if s.on_script is not None]
    kinds = sorted({s.kind for s in measured})
    by_kind = []
    for kind in kinds:
        of_kind = [s.latency for s in measured if s.kind == kind and s.outcome in ANSWERED]
        by_kind.append(
            KindFigures(kind, len(of_kind), percentile(of_kind, 50), percentile(of_kind, 95))
        )
    per_message = {}
    if cpu_seconds is not None and done:
        per_message = {role: used / len(done) for role, used in cpu_seconds.items()}
    return LevelFigures(
        topology=topology,
        channel=channel,
        conversations=run.conversations,
        messages=len(measured),
        ok=len(ok),
        errors=errors,
        throughput=throughput,
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        window_seconds=seconds,
        expected=len(expected),
        on_script=sum(bool(s.on_script) for s in expected),
        timed_out=run.timed_out,
        by_kind=tuple(by_kind),
        cpu_per_message=per_message,
    )


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value per minute."""
    if len(points) < 2:
        return math.nan
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return math.nan
    covariance = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return covariance / spread * 60.0


def second_half(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points from the middle of the time span on (after the warm-up's growth)."""
    if not points:
        return []
    middle = (points[0][0] + points[-1][0]) / 2
    return [p for p in points if p[0] >= middle]


@dataclass(frozen=True)
class MemoryFigures:
    """One process's resident memory over the soak."""

    name: str
    start: int
    end: int
    peak: int
    # Over the second half: mean RSS, its slope in bytes per minute, and that slope as a
    # share of the mean.
    mean: float
    slope: float
    slope_share: float

    @property
    def flat(self) -> bool:
        if math.isnan(self.slope) or not self.mean:
            return False
        return self.slope <= max(FLAT_SHARE_PER_MINUTE * self.mean, FLAT_FLOOR_MB * 1e6)


def memory_figures(name: str, points: Sequence[tuple[float, float]]) -> MemoryFigures:
    """Start, end, peak and second-half slope of one process's (seconds, RSS bytes) series."""
    half = second_half(points)
    slope = slope_per_minute(half)
    mean = sum(v for _, v in half) / len(half) if half else math.nan
    return MemoryFigures(
        name=name,
        start=int(points[0][1]) if points else 0,
        end=int(points[-1][1]) if points else 0,
        peak=int(max(v for _, v in points)) if points else 0,
        mean=mean,
        slope=slope,
        slope_share=slope / mean if mean else math.nan,
    )


@dataclass(frozen=True)
class SoakFigures:
    """The soak: its load figures and every process's memory."""

    level: LevelFigures
    minutes: float
    sample_seconds: float
    memory: tuple[MemoryFigures, ...]

    @property
    def flat(self) -> bool:
        return bool(self.memory) and all(m.flat for m in self.memory)


@dataclass(frozen=True)
class Projection:
    """Throughput with a machine of `cores` cores per replica, from CPU per message."""

    cores: int
    # Messages per second one replica machine serves at most, and which process limits it.
    replica_capacity: float
    replica_bottleneck: str
    # Limits of the shared machines (load balancer, database), messages per second.
    shared_limits: dict[str, float]
    # Replicas after which a shared machine, not the replicas, limits throughput.
    replicas_until_shared: int
    # What a replica machine would serve with one Rasa server per core (its cores' limit).
    machine_capacity: float = math.nan

    def throughput(self, replicas: int) -> float:
        """Messages per second with `replicas` replica machines, at full CPU."""
        return min([replicas * self.replica_capacity, *self.shared_limits.values()])

    @property
    def shared_bottleneck(self) -> str:
        return min(self.shared_limits, key=self.shared_limits.__getitem__)


def _limit(seconds: float, cores: float) -> float:
    return cores / seconds if seconds > 0 else math.inf


def project(cpu_per_message: Mapping[str, float], cores: int = 2) -> Projection:
    """What one machine of `cores` cores per replica serves, and where N replicas stop scaling.

    Each replica machine runs one web app, one Rasa server and one action server; the
    load balancer (HAProxy) and the database machine (PostgreSQL and Redis) are shared.
    A single-process server uses at most one core.
    """
    replica = {role: cpu_per_message.get(role, 0.0) for role in REPLICA_ROLES}
    limits = {f"{role} (one process, one core)": _limit(s, 1) for role, s in replica.items()}
    limits[f"all of a replica's processes on {cores} cores"] = _limit(sum(replica.values()), cores)
    bottleneck = min(limits, key=limits.__getitem__)
    balancer = sum(cpu_per_message.get(role, 0.0) for role in LOAD_BALANCER_ROLES)
    database = sum(cpu_per_message.get(role, 0.0) for role in DATABASE_ROLES)
    shared = {
        f"load balancer, HAProxy on {cores} cores": _limit(balancer, cores),
        f"database machine, PostgreSQL and Redis on {cores} cores": _limit(database, cores),
        "Redis (one thread)": _limit(cpu_per_message.get("Redis", 0.0), 1),
    }
    capacity = limits[bottleneck]
    lowest_shared = min(shared.values())
    until = math.floor(lowest_shared / capacity) if math.isfinite(lowest_shared) else 0
    return Projection(
        cores, capacity, bottleneck, shared, until, _limit(sum(replica.values()), cores)
    )


@dataclass(frozen=True)
class ScaleResults:
    """One run of the scale bench."""

    machine: Machine
    quick: bool
    runtime_seconds: float
    contention_share: float
    contention_steps: dict[str, float]
    levels: tuple[LevelFigures, ...]
    soak: SoakFigures | None
    starter_training_seconds: float
    warmup_messages: int
    messages_per_level: int
    model: str
    projection: Projection | None = None
    # The level the projection's CPU figures come from.
    projection_level: LevelFigures | None = None

    def level(self, topology: str, channel: str, conversations: int) -> LevelFigures | None:
        """The level of this topology, channel and number of conversations, if it ran."""
        return next(
            (
                level
                for level in self.levels
                if (level.topology, level.channel, level.conversations)
                == (topology, channel, conversations)
            ),
            None,
        )


def _ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def spread_target(level: LevelFigures) -> Target:
    """p95 at most 2.5 × p50."""
    return Target(
        f"p95 ≤ {P95_OVER_P50:g} × p50 at {level.conversations} conversations, "
        f"{level.topology} through the {level.channel}",
        f"p50 {_ms(level.p50)}, p95 {_ms(level.p95)} ({level.spread:.2f}×)",
        level.spread <= P95_OVER_P50,
    )


def starter_target(ours: LevelFigures, starter: LevelFigures) -> Target:
    """At least 2× the starter bot's throughput at no more than half its p95."""
    ratio = ours.throughput / starter.throughput if starter.throughput else math.inf
    share = ours.p95 / starter.p95 if starter.p95 else math.nan
    how = (
        "ours through the web app, as visitors reach it"
        if ours.channel == WEB
        else "ours straight at Rasa's REST channel too, like for like"
    )
    return Target(
        f"≥ {STARTER_THROUGHPUT_FACTOR:g}× the starter bot's throughput at ≤ "
        f"{STARTER_P95_FACTOR:g}× its p95, {ours.conversations} conversations "
        f"(the starter at its REST channel; {how})",
        f"{ours.throughput:.1f} vs {starter.throughput:.1f} msg/s ({ratio:.2f}×); "
        f"p95 {_ms(ours.p95)} vs {_ms(starter.p95)} ({share:.2f}×)",
        ratio >= STARTER_THROUGHPUT_FACTOR
        and share <= STARTER_P95_FACTOR
        and ours.error_count == 0,
    )


def replicas_target(one: LevelFigures, two: LevelFigures) -> Target:
    """Two replicas lose nothing against one on this machine."""
    ratio = two.throughput / one.throughput if one.throughput else math.nan
    return Target(
        f"2 replicas lose nothing against 1 at {one.conversations} conversations "
        f"(throughput not lower by more than {REPLICA_NOISE:.0%}, 0 errors)",
        f"{two.throughput:.1f} vs {one.throughput:.1f} msg/s ({ratio:.2f}×); errors "
        f"{two.error_count} and {one.error_count}",
        ratio >= 1 - REPLICA_NOISE and two.error_count == 0 and one.error_count == 0,
    )


def soak_targets(soak: SoakFigures) -> list[Target]:
    """The soak: 0 errors and flat memory."""
    level = soak.level
    growing = [m.name for m in soak.memory if not m.flat]
    steepest = max(soak.memory, key=lambda m: m.slope_share, default=None)
    steep = (
        f"steepest {steepest.name}: {steepest.slope / 1e6:+.2f} MB/min "
        f"({steepest.slope_share * 100:+.2f} %/min)"
        if steepest
        else "no samples"
    )
    return [
        Target(
            f"soak, {soak.minutes:g} min at {level.conversations} conversations on the "
            f"{level.topology}: 0 errors",
            f"{level.messages} messages, {level.error_count} errors",
            level.error_count == 0 and level.messages > 0,
        ),
        Target(
            "soak: flat memory (every process's RSS grows by ≤ "
            f"{FLAT_SHARE_PER_MINUTE:.0%} per minute, or ≤ {FLAT_FLOOR_MB:g} MB/min, over "
            "the second half)",
            steep + (f"; growing: {', '.join(growing)}" if growing else ""),
            soak.flat,
        ),
    ]


def targets(results: ScaleResults) -> list[Target]:
    """Check every target whose levels ran."""
    checks = []
    for topology in (ONE_MACHINE, cluster_name(1), cluster_name(2)):
        level = results.level(topology, WEB, P95_CONCURRENCY)
        if level:
            checks.append(spread_target(level))
    for conversations in sorted({level.conversations for level in results.levels}):
        starter = results.level(STARTER, REST, conversations)
        for channel in (WEB, REST):
            ours = results.level(ONE_MACHINE, channel, conversations)
            if ours and starter:
                checks.append(starter_target(ours, starter))
    for conversations in sorted({level.conversations for level in results.levels}):
        one = results.level(cluster_name(1), WEB, conversations)
        two = results.level(cluster_name(2), WEB, conversations)
        if one and two:
            checks.append(replicas_target(one, two))
    if results.soak:
        checks += soak_targets(results.soak)
    return checks
