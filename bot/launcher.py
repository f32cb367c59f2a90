"""Start the action server and the Rasa server together, and stop them together."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

QUIET_ENV = {
    # No telemetry or update checks: this machine reaches no such host, and a public
    # agency's bot sends nothing about its visitors anywhere.
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


class LaunchError(RuntimeError):
    """A server did not start or stopped on its own."""


@dataclass(frozen=True)
class LaunchConfig:
    """Where the servers listen and what they load."""

    rasa_port: int = 5005
    action_port: int = 5055
    model: Path = PROJECT_ROOT / "models"
    var_dir: Path = PROJECT_ROOT / "var"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    startup_timeout: float = 180.0

    @property
    def rasa_url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://localhost:{self.action_port}"


def write_endpoints(config: LaunchConfig) -> Path:
    """Write the endpoints file for this launch: endpoints.yml with ports and paths filled in."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"{config.action_url}/webhook"
    tracker_store = endpoints.get("tracker_store") or {}
    if tracker_store.get("dialect") == "sqlite":
        tracker_store["db"] = str(config.var_dir / "tracker.db")
    config.var_dir.mkdir(parents=True, exist_ok=True)
    path = config.var_dir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


def commands(config: LaunchConfig, endpoints: Path) -> dict[str, list[str]]:
    """Return the command line of each server."""
    bin_dir = Path(sys.executable).parent
    return {
        "action server": [
            sys.executable, "-m", "rasa_sdk",
            "--actions", "actions",
            "--port", str(config.action_port),
        ],
        "Rasa server": [
            str(bin_dir / "rasa"), "run",
            "--model", str(config.model),
            "--endpoints", str(endpoints),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--port", str(config.rasa_port),
            "--enable-api",
            f"--auth-token={config.token}",
        ],
    }  # fmt: skip


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def rasa_ready(config: LaunchConfig) -> bool:
    """Return True once the Rasa server answers with its model loaded."""
    try:
        url = f"{config.rasa_url}/status?token={config.token}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(json.load(response).get("model_file"))
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


class Supervisor:
    """Runs the servers as child processes, each in its own process group."""

    def __init__(self, config: LaunchConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Set from a signal handler; start() and run() give up waiting when it is.
        self.stop_requested = False

    def start(self) -> None:
        """Start both servers and return once both answer."""
        endpoints = write_endpoints(self.config)
        env = {**os.environ, **QUIET_ENV}
        for name, argv in commands(self.config, endpoints).items():
            self.processes[name] = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + self.config.startup_timeout
        checks = {
            "action server": lambda: _get(f"{self.config.action_url}/health") == 200,
            "Rasa server": lambda: rasa_ready(self.config),
        }
        while checks and not self.stop_requested:
            self.check_alive()
            checks = {name: ready for name, ready in checks.items() if not ready()}
            if checks and time.monotonic() > deadline:
                raise LaunchError(f"{', '.join(checks)} did not start in time")
            if checks:
                time.sleep(0.5)

    def check_alive(self) -> None:
        """Raise LaunchError if a server has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise LaunchError(f"the {name} stopped (exit code {process.returncode})")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every server: SIGTERM to its process group, SIGKILL after `timeout`."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def how_to_talk(config: LaunchConfig) -> str:
    """Return the lines printed once the bot is up."""
    return "\n".join(
        [
            "",
            "ASF-hjälpen is running.",
            f"  Rasa server:   {config.rasa_url}  (REST channel: /webhooks/rest/webhook)",
            f"  Action server: {config.action_url}  (health: /health)",
            f"  RASA_TOKEN:    {config.token}  (protects the HTTP API)",
            "",
            "Talk to the bot:",
            "  in a second terminal:  make chat",
            f"  or:  curl -s {config.rasa_url}/webhooks/rest/webhook \\",
            '         -d \'{"sender": "demo", "message": "Vad är ett ASF?"}\'',
            "",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def run(config: LaunchConfig) -> int:
    """Start the bot, print how to reach it and supervise it until Ctrl-C."""
    supervisor = Supervisor(config)

    def request_stop(signum: int, frame: object) -> None:
        supervisor.stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        supervisor.start()
        if not supervisor.stop_requested:
            print(how_to_talk(config), flush=True)
        while not supervisor.stop_requested:
            supervisor.check_alive()
            time.sleep(0.5)
        print("Stopping ASF-hjälpen ...", flush=True)
        return 0
    except LaunchError as error:
        if supervisor.stop_requested:
            return 0
        print(f"ASF-hjälpen could not run: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()
