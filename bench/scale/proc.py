"""CPU time and resident memory of the bench's processes, read from /proc."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from bench.processes import descendants

PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK")
# Shared servers the cluster uses, found by their command name.
SERVER_COMMANDS = {"PostgreSQL": "postgres", "Redis": "redis-server"}
# A role is a server's name without its replica number: "Rasa server 2" -> "Rasa server".
_REPLICA_NUMBER = re.compile(r"\s+\d+$")

# Processes by role, read again at each sample (a restarted server has a new pid).
ProcessMap = Callable[[], Mapping[str, list[int]]]


def role_of(name: str) -> str:
    """The role of a named server process: its name without a replica number."""
    return _REPLICA_NUMBER.sub("", name)


def _stat_fields(pid: int) -> list[str]:
    # The command name may hold spaces and parentheses; the fields follow its last ")".
    return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process (all its threads), 0 if it is gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    # Fields 14 and 15 of stat (utime, stime); index 0 here is field 3 (state).
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int) -> int:
    """VmRSS of one process, 0 if it is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def pids_named(command: str) -> list[int]:
    """Every process whose command name (/proc/<pid>/comm) is `command`."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def supervised(processes: Mapping[str, object]) -> dict[str, list[int]]:
    """Each supervised server (name -> Popen) with the processes it started, by name."""
    return {name: descendants(process.pid) for name, process in processes.items()}  # type: ignore[attr-defined]


def shared_servers() -> dict[str, list[int]]:
    """PostgreSQL's and Redis's processes (all of them: the machine's servers are shared)."""
    return {role: pids_named(command) for role, command in SERVER_COMMANDS.items()}


# CPU seconds so far of each process, by (role, pid).
CpuSnapshot = dict[tuple[str, int], float]


def cpu_snapshot(processes: Mapping[str, list[int]]) -> CpuSnapshot:
    """CPU seconds so far of every process, keyed by its role and pid."""
    return {
        (role_of(name), pid): cpu_seconds(pid) for name, pids in processes.items() for pid in pids
    }


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds each role used between two snapshots.

    A process that started in between counts from zero; one that ended in between is
    missing from `after` and its last part is lost (a PostgreSQL backend that closed).
    """
    used: dict[str, float] = {}
    for (role, pid), seconds in after.items():
        used[role] = used.get(role, 0.0) + max(0.0, seconds - before.get((role, pid), 0.0))
    for role, _pid in before:
        used.setdefault(role, 0.0)
    return used


def rss_by_process(processes: Mapping[str, list[int]]) -> dict[str, int]:
    """Resident memory of each named process (with the processes it started)."""
    return {name: sum(rss_bytes(pid) for pid in pids) for name, pids in processes.items()}


def own_cpu_seconds() -> float:
    """This process's CPU time: the load generator's."""
    times = os.times()
    return times.user + times.system
