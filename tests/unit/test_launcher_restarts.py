"""A server that stops on its own starts again, after a wait that grows while it keeps crashing.

The servers here are small Python processes without a health check (the supervisor counts
them ready once they run), so nothing here touches a port.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

from bot.runtime.launcher import LaunchConfig, LaunchError, Server, Supervisor, listening, run
from tests.conftest import free_port

CRASHES = [sys.executable, "-c", "import sys; sys.exit(3)"]
RUNS = [sys.executable, "-c", "import time; time.sleep(60)"]
# Runs a little longer than stable_after below, then crashes.
RUNS_A_WHILE = [sys.executable, "-c", "import sys, time; time.sleep(0.4); sys.exit(4)"]


def supervise(servers: dict[str, list[str]], seconds: float, **config) -> tuple[list[str], dict]:
    """Run `servers` under a Supervisor for `seconds`; return what it said and the pids seen."""
    said: list[str] = []
    options = {"restart_delay": 0.1, "restart_max_delay": 0.4, "stable_after": 0.3, **config}
    supervisor = Supervisor(LaunchConfig(token="t", **options), servers=servers, say=said.append)
    pids: dict[str, set[int]] = {name: set() for name in servers}
    try:
        supervisor.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            supervisor.watch()
            for name, process in supervisor.processes.items():
                pids[name].add(process.pid)
            time.sleep(0.02)
    finally:
        supervisor.stop()
    for name_pids in pids.values():
        for pid in name_pids:
            assert not os.path.exists(f"/proc/{pid}") or _zombie(pid), f"{pid} left behind"
    return said, pids


def _zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


def waits(said: list[str], name: str) -> list[float]:
    pattern = re.compile(rf"the {name} stopped unexpectedly \(.*\); starting it again in (\S+) s")
    return [float(m.group(1)) for line in said if (m := pattern.fullmatch(line))]


def test_a_server_that_keeps_crashing_waits_longer_each_time_and_the_others_keep_running():
    # The crashing one must survive start() to be a crash after start: it sleeps first.
    crashing = [sys.executable, "-c", "import sys, time; time.sleep(0.2); sys.exit(3)"]
    # stable_after well above the crashing server's life, Python's start included: on a
    # busy machine that start alone can take a few tenths of a second.
    said, pids = supervise(
        {"crashing server": crashing, "steady server": RUNS}, seconds=3.0, stable_after=1.5
    )
    delays = waits(said, "crashing server")
    assert delays[:4] == [0.1, 0.2, 0.4, 0.4], said  # doubled, up to the maximum
    # No tight loop: restarted at once, it would have run about 15 times in 3 s.
    assert len(pids["crashing server"]) <= 7
    assert "the crashing server stopped unexpectedly (exit code 3); " in said[0]
    assert "the crashing server is back" in said  # it ran again (with no port to check)
    assert len(pids["steady server"]) == 1  # never stopped, never started again
    assert not waits(said, "steady server")


def test_a_server_that_ran_a_while_before_crashing_starts_again_after_the_shortest_wait():
    said, _ = supervise({"late crasher": RUNS_A_WHILE}, seconds=2.5)
    delays = waits(said, "late crasher")
    assert len(delays) >= 3 and set(delays) == {0.1}, said


def test_a_killed_server_is_named_with_its_exit_code_and_the_signal():
    said: list[str] = []
    config = LaunchConfig(token="t", restart_delay=0.1)
    supervisor = Supervisor(config, servers={"killed server": RUNS}, say=said.append)
    try:
        supervisor.start()
        first = supervisor.processes["killed server"]
        os.kill(first.pid, 9)
        first.wait()
        deadline = time.monotonic() + 5
        while "the killed server is back" not in said and time.monotonic() < deadline:
            supervisor.watch()
            time.sleep(0.02)
        assert said[0] == (
            "the killed server stopped unexpectedly (exit code -9, SIGKILL); "
            "starting it again in 0.1 s"
        )
        assert said[1] == "the killed server is back"
        assert supervisor.processes["killed server"].pid != first.pid
    finally:
        supervisor.stop()


def test_a_server_stopped_on_purpose_is_not_started_again():
    config = LaunchConfig(token="t", restart_delay=0.01)
    supervisor = Supervisor(config, servers={"steady server": RUNS})
    try:
        supervisor.start()
        supervisor.stop_server("steady server")
        for _ in range(5):
            supervisor.watch()
            time.sleep(0.02)
        assert "steady server" not in supervisor.processes
    finally:
        supervisor.stop()


def test_a_failure_at_start_is_reported_with_the_server_and_its_exit_code():
    # The sink's check waits for its port (on loopback, where nothing listens).
    port = free_port()
    config = LaunchConfig(token="t", mail_port=port, restart_delay=0.01)
    sink = Server(CRASHES, ready=lambda: listening(port))
    supervisor = Supervisor(config, servers={"mail sink": sink})
    try:
        with pytest.raises(LaunchError, match=r"^the mail sink stopped \(exit code 3\)$"):
            supervisor.start()
    finally:
        supervisor.stop()


def test_run_says_clearly_when_there_is_no_trained_model(tmp_path, capsys):
    assert run(LaunchConfig(token="t", model=tmp_path / "models", var_dir=tmp_path)) == 1
    err = capsys.readouterr().err
    assert f"ASF-hjälpen could not run: there is no trained model at {tmp_path / 'models'}" in err
    assert "make setup" in err
