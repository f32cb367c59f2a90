"""Describe the machine and the code a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bot.runtime.settings import PROJECT_ROOT

# Inputs whose uncommitted edits change the figures.
INPUTS = ("config.yml", "domain.yml", "data", "tests/nlu", "actions", "bot")


@dataclass(frozen=True)
class Machine:
    """Where and when the benchmark ran."""

    date: str
    nproc: int
    cpu_model: str
    memory_gib: float
    python: str
    rasa: str
    rasa_sdk: str
    commit: str
    uncommitted_inputs: tuple[str, ...]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def describe() -> Machine:
    """Return the machine, software versions and git state right now."""
    status = _git("status", "--porcelain", "--untracked-files=all", "--", *INPUTS)
    return Machine(
        date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        nproc=len(os.sched_getaffinity(0)),
        cpu_model=_cpu_model(),
        memory_gib=_memory_gib(),
        python=platform.python_version(),
        rasa=metadata.version("rasa"),
        rasa_sdk=metadata.version("rasa-sdk"),
        commit=_git("rev-parse", "--short", "HEAD") or "unknown",
        uncommitted_inputs=tuple(line[3:] for line in status.splitlines() if line.strip()),
    )
