"""Start the bot's servers and the mail worker together; stop them together."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml

from bot.runtime.settings import PROJECT_ROOT, Settings

QUIET_ENV = {
    # No telemetry or update checks: this machine reaches no such host, and a public
    # agency's bot sends nothing about its visitors anywhere.
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


# The header that carries the action server's secret (bot/runtime/action_server.py checks it).
ACTION_SECRET_HEADER = "Authorization"

# The Rasa server's logging configuration: it installs log redaction (bot/runtime/log_redaction.py).
LOGGING_CONFIG = PROJECT_ROOT / "bot" / "runtime" / "rasa_logging.yml"


class LaunchError(RuntimeError):
    """A server did not start or stopped on its own."""


# Addresses that mean "every interface": to reach such a server from this machine, the
# launcher and the web app use loopback.
_EVERY_INTERFACE = {"", "0.0.0.0", "::"}


def _url_host(host: str, loopback: str) -> str:
    """Return how a URL names `host` (`loopback` for loopback or every interface)."""
    if host in _EVERY_INTERFACE or host == "127.0.0.1":
        return loopback
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class LaunchConfig:
    """Where the servers listen and what they load."""

    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8080
    # Loopback unless configured otherwise: only the web app should ever face a network.
    # (The local SMTP sink, a development tool, always listens on loopback.)
    rasa_host: str = "127.0.0.1"
    action_host: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    # The local SMTP sink's port, used only when SMTP_HOST is unset.
    mail_port: int = 1025
    model: Path = PROJECT_ROOT / "models"
    var_dir: Path = PROJECT_ROOT / "var"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # The secret the Rasa server sends the action server with every call (ACTION_SERVER_TOKEN).
    action_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    startup_timeout: float = 180.0
    # A server that stops on its own starts again after restart_delay seconds, doubled
    # on each crash up to restart_max_delay; back to restart_delay once it has run
    # stable_after seconds.
    restart_delay: float = 1.0
    restart_max_delay: float = 30.0
    stable_after: float = 60.0
    # Where each server's output goes (<name>.log); None: this process's own output.
    log_dir: Path | None = None

    @property
    def rasa_url(self) -> str:
        return f"http://{_url_host(self.rasa_host, 'localhost')}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        # An address, not a name: Rasa's HTTP client would look "localhost" up in a
        # thread for every action call (a tenth of the server's CPU under load).
        return f"http://{_url_host(self.action_host, '127.0.0.1')}:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{_url_host(self.web_host, 'localhost')}:{self.web_port}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


def write_endpoints(config: LaunchConfig) -> Path:
    """Write the endpoints file for this launch: endpoints.yml with ports, paths and secret."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    action_endpoint = endpoints["action_endpoint"]
    action_endpoint["url"] = f"{config.action_url}/webhook"
    # A header, not Rasa's `token` (a query parameter): URLs end up in logs.
    action_endpoint["headers"] = {
        **(action_endpoint.get("headers") or {}),
        ACTION_SECRET_HEADER: f"Bearer {config.action_token}",
    }
    tracker_store = endpoints.get("tracker_store") or {}
    if tracker_store.get("dialect") == "sqlite":
        tracker_store["db"] = str(config.var_dir / "tracker.db")
    config.var_dir.mkdir(parents=True, exist_ok=True)
    path = config.var_dir / "endpoints.yml"
    # It holds the action server's secret: readable by this user only.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(yaml.safe_dump(endpoints, sort_keys=False, allow_unicode=True))
    return path


def uses_mail_sink() -> bool:
    """Return True when staff mail goes to the local sink (SMTP_HOST is unset)."""
    return Settings.from_env().smtp_host is None


def mail_commands(config: LaunchConfig) -> dict[str, list[str]]:
    """Return the mail worker's command line, and the local sink's when SMTP_HOST is unset."""
    if not uses_mail_sink():
        return {"mail worker": [sys.executable, "-m", "bot.mail"]}
    return {
        "mail sink": [
            sys.executable, "-m", "bot.mail.sink",
            "--host", "127.0.0.1",
            "--port", str(config.mail_port),
            "--dir", str(config.mail_dir),
        ],
        "mail worker": [
            sys.executable, "-m", "bot.mail",
            "--smtp-host", "127.0.0.1",
            "--smtp-port", str(config.mail_port),
        ],
    }  # fmt: skip


def commands(config: LaunchConfig, endpoints: Path) -> dict[str, list[str]]:
    """Return the command line of each server."""
    servers = {
        # Every server redacts its logs: the action server through bot.runtime.action_server,
        # Rasa through its logging configuration, the web app by itself.
        "action server": [
            sys.executable, "-m", "bot.runtime.action_server",
            "--actions", "actions",
            "--host", config.action_host,
            "--port", str(config.action_port),
        ],
        "Rasa server": [
            sys.executable, "-m", "bot.runtime.rasa_server", "run",
            "--model", str(config.model),
            "--endpoints", str(endpoints),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--interface", config.rasa_host,
            "--port", str(config.rasa_port),
            "--enable-api",
            f"--auth-token={config.token}",
            "--logging-config-file", str(LOGGING_CONFIG),
        ],
        "web app": [
            sys.executable, "-m", "bot.web",
            "--host", config.web_host,
            "--port", str(config.web_port),
            "--rasa-url", config.rasa_url,
        ],
    }  # fmt: skip
    return servers | mail_commands(config)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


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


def _exit_status(code: int) -> str:
    """Return how a process ended: its exit code, with the signal's name when one killed it."""
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"exit code {code}, {signal.Signals(-code).name}"
    except ValueError:
        return f"exit code {code}"


def _say(message: str) -> None:
    print(f"ASF-hjälpen: {message}", file=sys.stderr, flush=True)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL whatever is left of a server's process group (children it started)."""
    # Nothing may be left of it (ProcessLookupError).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class Supervisor:
    """Runs the servers as child processes, each in its own process group.

    After start(), watch() starts a server that stopped on its own again, waiting first
    (config.restart_delay, doubled on each crash up to config.restart_max_delay, back to
    the shortest wait once it has run config.stable_after seconds): a server that crashes
    right after each start is not started again in a tight loop.
    """

    def __init__(
        self,
        config: LaunchConfig,
        servers: dict[str, list[str]] | None = None,
        say: Callable[[str], None] = _say,
    ) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}
        # Set from a signal handler; start() and run() give up waiting when it is.
        self.stop_requested = False
        # The command lines: the launcher's servers unless others are given (tests).
        self._servers = servers
        self._commands: dict[str, list[str]] = {}
        self._say = say
        self._started_at: dict[str, float] = {}
        # Per server, the wait before it starts again after its next crash.
        self._delay: dict[str, float] = {}
        # Servers that stopped on their own, and when each starts again.
        self._restart_at: dict[str, float] = {}
        # Servers started again that do not answer yet.
        self._returning: set[str] = set()

    def start(self) -> None:
        """Start every server and return once all of them answer."""
        if self._servers is not None:
            self._commands = dict(self._servers)
        else:
            self._check_model()
            self._commands = commands(self.config, write_endpoints(self.config))
        for name in self._commands:
            self.start_server(name)
        self.wait_until_ready(list(self._commands))

    def _check_model(self) -> None:
        model = self.config.model
        if not model.exists() or (model.is_dir() and not any(model.glob("*.tar.gz"))):
            raise LaunchError(f"there is no trained model at {model}: run `make setup` first")

    def start_server(self, name: str) -> None:
        """Start (or start again) one server by name, without waiting for it."""
        output: IO[bytes] | None = None
        if name in self._logs:
            self._logs.pop(name).close()
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            output = (self.config.log_dir / f"{name.replace(' ', '-')}.log").open("ab")
            self._logs[name] = output
        self._started_at[name] = time.monotonic()
        self.processes[name] = subprocess.Popen(
            self._commands[name],
            cwd=PROJECT_ROOT,
            env={**os.environ, **QUIET_ENV, **self._environment(name)},
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )

    def _environment(self, name: str) -> dict[str, str]:
        # The secret goes by environment, never on a command line (which `ps` shows).
        if name == "action server":
            return {"ACTION_SERVER_TOKEN": self.config.action_token}
        return {}

    def _ready(self, name: str) -> bool:
        """Return True when the named server answers."""
        checks = {
            "action server": lambda: _get(f"{self.config.action_url}/health") == 200,
            "Rasa server": lambda: rasa_ready(self.config),
            "web app": lambda: _get(f"{self.config.web_url}/health") == 200,
            "mail sink": lambda: _listening(self.config.mail_port),
        }
        # The mail worker has no port: it is ready once it runs.
        return checks.get(name, lambda: True)()

    def wait_until_ready(self, names: list[str]) -> None:
        """Return once the named servers answer; LaunchError if one stops or is too slow."""
        waiting = list(names)
        deadline = time.monotonic() + self.config.startup_timeout
        while waiting and not self.stop_requested:
            self.check_alive()
            waiting = [name for name in waiting if not self._ready(name)]
            if waiting and time.monotonic() > deadline:
                raise LaunchError(f"{', '.join(waiting)} did not start in time")
            if waiting:
                time.sleep(0.5)

    def check_alive(self) -> None:
        """Raise LaunchError if a server has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise LaunchError(f"the {name} stopped ({_exit_status(process.returncode)})")

    def watch(self) -> None:
        """Start again, after its wait, each server that stopped on its own; say when it is back."""
        now = time.monotonic()
        for name, process in self.processes.items():
            if name not in self._restart_at and process.poll() is not None:
                self._schedule_restart(name, process, now)
        for name, when in list(self._restart_at.items()):
            if now >= when and not self.stop_requested:
                del self._restart_at[name]
                self.start_server(name)
                self._returning.add(name)
        for name in list(self._returning):
            if self.processes[name].poll() is None and self._ready(name):
                self._returning.discard(name)
                self._say(f"the {name} is back")

    def _schedule_restart(self, name: str, process: subprocess.Popen[bytes], now: float) -> None:
        if now - self._started_at[name] >= self.config.stable_after:
            self._delay.pop(name, None)  # it ran long enough: the shortest wait again
        delay = self._delay.get(name, self.config.restart_delay)
        self._delay[name] = min(delay * 2, self.config.restart_max_delay)
        self._restart_at[name] = now + delay
        _kill_group(process)
        self._say(
            f"the {name} stopped unexpectedly ({_exit_status(process.returncode)}); "
            f"starting it again in {delay:g} s"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every server: SIGTERM to its process group, SIGKILL after `timeout`."""
        self._restart_at.clear()
        self._returning.clear()
        self._stop(list(self.processes.values()), timeout)
        for name in list(self._logs):
            self._logs.pop(name).close()

    def stop_server(self, name: str, timeout: float = 15.0) -> None:
        """Stop one server by name (start_server starts it again; watch() does not)."""
        self._restart_at.pop(name, None)
        self._returning.discard(name)
        self._stop([self.processes.pop(name)], timeout)
        if name in self._logs:
            self._logs.pop(name).close()

    @staticmethod
    def _stop(processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            # Whatever is still running in its group, the server itself included.
            _kill_group(process)
            process.wait()


def how_to_talk(config: LaunchConfig, mail_sink: bool = True) -> str:
    """Return the lines printed once the bot is up."""
    if mail_sink:
        mail = f"  Staff mail:    {config.mail_dir}/  (local SMTP sink on port {config.mail_port})"
    else:
        mail = "  Staff mail:    sent to STAFF_EMAIL through SMTP_HOST"
    listening = (
        f"  Listening on:  web app {config.web_host}, Rasa server {config.rasa_host}, "
        f"action server {config.action_host}" + (", mail sink 127.0.0.1" if mail_sink else "")
    )
    return "\n".join(
        [
            "",
            "ASF-hjälpen is running.",
            f"  Web page:      {config.web_url}  (the chat widget; health: /health)",
            f"  Rasa server:   {config.rasa_url}  (REST channel: /webhooks/rest/webhook)",
            f"  Action server: {config.action_url}  (health: /health)",
            mail,
            "  Mail worker:   sends tickets' mail to staff (asf-bot tickets list)",
            f"  RASA_TOKEN:    {config.token}  (protects the HTTP API)",
            listening,
            "",
            "Talk to the bot:",
            f'  in a browser:  open {config.web_url} and press "Chatta med oss"',
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
            print(how_to_talk(config, uses_mail_sink()), flush=True)
        while not supervisor.stop_requested:
            supervisor.watch()
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
