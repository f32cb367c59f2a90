"""How much CPU other processes took while a timed step ran (this machine may be shared)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSample:
    """Machine-wide busy CPU time and this process's own (with its waited-for children)."""

    wall: float
    busy: float
    ours: float


def sample() -> CpuSample:
    """Read /proc/stat and os.times() now."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = fields[:8]
    # Interrupt time belongs to no process (our own localhost traffic shows up there), so
    # it is left out; steal is CPU the hypervisor gave to other guests: contention too.
    busy = (user + nice + system + steal) / _TICK
    times = os.times()
    ours = times.user + times.system + times.children_user + times.children_system
    return CpuSample(time.monotonic(), busy, ours)


@dataclass
class Contention:
    """Other processes' CPU use, summed over the steps measured so far."""

    cores: int = field(default_factory=lambda: len(os.sched_getaffinity(0)))
    foreign_seconds: float = 0.0
    wall_seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def measure(self, step: str) -> Iterator[None]:
        """Measure one step; its children must have been waited for when it ends."""
        start = sample()
        yield
        end = sample()
        wall = end.wall - start.wall
        foreign = max(0.0, (end.busy - start.busy) - (end.ours - start.ours))
        self.foreign_seconds += foreign
        self.wall_seconds += wall
        self.steps[step] = foreign / (wall * self.cores) if wall else 0.0

    def wait_for_quiet(
        self, limit: float = 0.15, window: float = 3.0, patience: float = 60.0
    ) -> float:
        """Wait until other processes use under `limit` of the CPU; return their last share."""
        deadline = time.monotonic() + patience
        while True:
            start = sample()
            time.sleep(window)
            end = sample()
            foreign = max(0.0, (end.busy - start.busy) - (end.ours - start.ours))
            share = foreign / ((end.wall - start.wall) * self.cores)
            if share < limit or time.monotonic() > deadline:
                return share

    @property
    def share(self) -> float:
        """Other processes' CPU as a share of the machine's capacity during the steps."""
        capacity = self.wall_seconds * self.cores
        return self.foreign_seconds / capacity if capacity else 0.0
