"""Free ports, memory use of running processes, and the environment servers start with."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.settings import BenchError

PROC = Path("/proc")


def port_free(port: int) -> bool:
    """Return True if nothing listens on the TCP port (any address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Lingering TIME_WAIT connections from an earlier run are no obstacle to a server.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def require_free_ports(ports: dict[str, int], wait: float = 0.0) -> None:
    """Raise BenchError naming each port that stays taken for `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        taken = {name: port for name, port in ports.items() if not port_free(port)}
        if not taken or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if taken:
        listing = ", ".join(f"{port} ({name})" for name, port in taken.items())
        raise BenchError(
            f"port {listing} is already in use. Stop whatever listens there, or pick "
            "other ports with --rasa-port, --action-port, --web-port and --mail-port."
        )


@dataclass(frozen=True)
class Memory:
    """Resident memory of a process and its descendants, in bytes."""

    rss: int
    peak: int
    processes: int


def _status_kib(pid: int, field: str) -> int:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """Return pid and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def memory(pid: int) -> Memory:
    """VmRSS and VmHWM (peak RSS) summed over the process and its descendants."""
    pids = descendants(pid)
    return Memory(
        rss=sum(_status_kib(p, "VmRSS") for p in pids) * 1024,
        peak=sum(_status_kib(p, "VmHWM") for p in pids) * 1024,
        processes=len(pids),
    )


@contextlib.contextmanager
def environment(values: Mapping[str, str], unset: tuple[str, ...] = ()) -> Iterator[None]:
    """Inside this block, the servers started get `values` and not `unset`."""
    saved = {key: os.environ.get(key) for key in (*values, *unset)}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
