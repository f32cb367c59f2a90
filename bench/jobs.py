"""Run independent steps a few at a time; stop everything when one fails."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from bench import commands, console


def run_jobs(jobs: dict[str, Callable[[], Any]], workers: int) -> dict[str, Any]:
    """Run the jobs, in the given order as workers free up; return results by job name."""

    def announced(name: str, job: Callable[[], Any]) -> Any:
        console.say(f"{name} started")
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(announced, name, job) for name, job in jobs.items()}
        done, _ = wait(futures.values(), return_when=FIRST_EXCEPTION)
        failed = [future for future in done if future.exception()]
        if failed:
            for future in futures.values():
                future.cancel()
            # The running job's children are killed so that its thread ends too.
            commands.kill_all()
            raise failed[0].exception()
    return {name: future.result() for name, future in futures.items()}
