"""Run Rasa's command line in child processes: timed, logged, and always cleaned up."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import console
from bench.settings import RASA_ENV, BenchError
from bot.runtime.settings import PROJECT_ROOT

_running: set[subprocess.Popen[bytes]] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Finished:
    """A command that exited with code 0, and how long it took."""

    argv: list[str]
    seconds: float
    # CPU time (user + system) of all children waited for meanwhile: this command's own
    # when nothing else of ours runs at the same time. Shared machines hardly change it.
    cpu_seconds: float
    log: Path


def rasa_argv(*args: str) -> list[str]:
    """Return the argv of a Rasa CLI call in this virtual environment."""
    return [str(Path(sys.executable).parent / "rasa"), *args]


def seeded_rasa_argv(seed: int, *args: str) -> list[str]:
    """Return the argv of a Rasa CLI call whose numpy and random generators are seeded."""
    return [sys.executable, "-m", "bench.seeded_rasa", str(seed), *args]


def run(argv: list[str], log: Path, timeout: float) -> Finished:
    """Run a command from the project root, output to `log`; raise BenchError on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **RASA_ENV}
    started = time.perf_counter()
    cpu_before = _children_cpu()
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with _lock:
            _running.add(process)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise BenchError(f"{argv[:3]} took over {timeout:.0f} s; see {log}") from None
        finally:
            with _lock:
                _running.discard(process)
    seconds = time.perf_counter() - started
    if code != 0:
        raise BenchError(f"{' '.join(argv)} failed (exit code {code}); see {log}")
    return Finished(argv, seconds, _children_cpu() - cpu_before, log)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def kill_all() -> None:
    """Kill every command this module started that is still running."""
    with _lock:
        processes = list(_running)
    for process in processes:
        _kill(process)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds through every finally block, which stop the servers.
    raise SystemExit(128 + signum)


def bench_main(work: Callable[[], None]) -> int:
    """Run a bench command line's `work`: Rasa's environment set, SIGTERM stops it like
    Ctrl-C, every child process killed at the end; return the exit code."""
    os.environ.update(RASA_ENV)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        work()
    except BenchError as error:
        console.say(f"failed: {error}")
        return 1
    except KeyboardInterrupt:
        console.say("interrupted")
        return 130
    except SystemExit:
        console.say("stopped")
        raise
    finally:
        kill_all()
    return 0
