"""Progress lines on the terminal while child processes' output goes to log files."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

_started = time.perf_counter()


@functools.cache
def _terminal() -> TextIO:
    # A copy of stdout taken before any redirection, so progress stays on the terminal.
    return os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")


def elapsed_minutes() -> float:
    """Minutes since the benchmark started."""
    return (time.perf_counter() - _started) / 60


def say(message: str) -> None:
    """Print a progress line with the time since the benchmark started."""
    _terminal().write(f"[bench {elapsed_minutes():5.1f} min] {message}\n")


@contextlib.contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (and so its children's) to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    _terminal()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with log.open("ab") as target:
            os.dup2(target.fileno(), 1)
            os.dup2(target.fileno(), 2)
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
