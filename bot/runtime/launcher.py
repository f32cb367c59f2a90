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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from bot.runtime.settings import PROJECT_ROOT, Settings
from bot.storage.conversations import tracker_store_endpoint

QUIET_ENV = {
    # No telemetry or update checks: this machine reaches no such host, and a public
    # agency's bot sends nothing about its visitors anywhere.
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


# The header that carries the action server's secret (bot/runtime/action_server.py checks it).
ACTION_SECRET_HEADER = "Authorization"

# Rasa's lock store when replicas share Redis: tickets issued atomically (RasaHQ/rasa#9213).
ATOMIC_LOCK_STORE = "bot.nlp.lock_store.AtomicRedisLockStore"

# What the Rasa server reads beyond its command line, unless the environment sets it.
# Its SQL tracker store opens up to SQL_POOL_SIZE + SQL_MAX_OVERFLOW connections per
# process (50 + 100 by default): too many for replicas sharing one PostgreSQL (README,
# "Running on several machines").
RASA_ENV = {"SQL_POOL_SIZE": "5", "SQL_MAX_OVERFLOW": "5"}
# With the shared lock store: how long a replica that died mid-message holds its
# conversation's lock (Rasa: 60 s, for any message). The shared store renews a live
# replica's ticket while it waits and works (bot/nlp/lock_store.py), so this bounds only
# the visitor's wait after a crash, well inside the web app's (RASA_TIMEOUT, 30 s).
SHARED_LOCK_ENV = {"TICKET_LOCK_LIFETIME": "10"}

# The Rasa server's logging configuration: it installs log redaction (bot/runtime/log_redaction.py).
LOGGING_CONFIG = PROJECT_ROOT / "bot" / "runtime" / "rasa_logging.yml"


class LaunchError(RuntimeError):
    """A server did not start or stopped on its own."""


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Server:
    """One process the supervisor runs: its command line, what it adds to the
    environment, and how to tell that it answers (a server without a port: once it runs)."""

    command: list[str]
    ready: Callable[[], bool] = _always
    environment: Mapping[str, str] = field(default_factory=dict)


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


def write_endpoints(config: LaunchConfig, settings: Settings | None = None) -> Path:
    """Write the endpoints file for this launch: endpoints.yml with ports, paths and secret,
    and the shared stores the settings name (tracker store, lock store)."""
    endpoints = render_endpoints(
        config.action_url,
        config.action_token,
        Settings.from_env() if settings is None else settings,
        sqlite_dir=config.var_dir,
    )
    return write_private(endpoints, config.var_dir / "endpoints.yml")


def render_endpoints(
    action_url: str, action_token: str, settings: Settings, sqlite_dir: Path | None = None
) -> dict[str, Any]:
    """Return endpoints.yml for an action server at `action_url` and the settings' stores.

    TRACKER_STORE_URL replaces the SQLite tracker store (whose file moves to `sqlite_dir`
    when given); REDIS_URL adds the shared lock store.
    """
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    action_endpoint = endpoints["action_endpoint"]
    action_endpoint["url"] = f"{action_url.rstrip('/')}/webhook"
    # A header, not Rasa's `token` (a query parameter): URLs end up in logs.
    action_endpoint["headers"] = {
        **(action_endpoint.get("headers") or {}),
        ACTION_SECRET_HEADER: f"Bearer {action_token}",
    }
    if settings.tracker_store_url:
        endpoints["tracker_store"] = tracker_store_endpoint(settings.tracker_store_url)
    elif sqlite_dir is not None and endpoints["tracker_store"].get("dialect") == "sqlite":
        endpoints["tracker_store"]["db"] = str(sqlite_dir / "tracker.db")
    if settings.redis_url:
        endpoints["lock_store"] = lock_store_endpoint(settings.redis_url)
    return endpoints


def lock_store_endpoint(redis_url: str) -> dict[str, str]:
    """Return the endpoints entry of the lock store replicas share (bot/nlp/lock_store.py)."""
    return {"type": ATOMIC_LOCK_STORE, "url": redis_url, "key_prefix": "asf"}


def write_private(endpoints: dict[str, Any], path: Path) -> Path:
    """Write an endpoints file readable by this user only (it holds the action secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(yaml.safe_dump(endpoints, sort_keys=False, allow_unicode=True))
    return path


def uses_mail_sink() -> bool:
    """Return True when staff mail goes to the local sink (SMTP_HOST is unset)."""
    return Settings.from_env().smtp_host is None


def mail_commands(config: LaunchConfig, endpoints: Path | None = None) -> dict[str, list[str]]:
    """Return the mail worker's command line, and the local sink's when SMTP_HOST is unset.

    `endpoints` is the Rasa server's endpoints file, where the worker's weekly digest
    finds the tracker store (None: TRACKER_STORE_URL names it, as on the cluster).
    """
    worker = [sys.executable, "-m", "bot.mail"]
    if endpoints is not None:
        worker += ["--endpoints", str(endpoints)]
    if not uses_mail_sink():
        return {"mail worker": worker}
    return {
        "mail sink": [
            sys.executable, "-m", "bot.mail.sink",
            "--host", "127.0.0.1",
            "--port", str(config.mail_port),
            "--dir", str(config.mail_dir),
        ],
        "mail worker": [
            *worker, "--smtp-host", "127.0.0.1", "--smtp-port", str(config.mail_port),
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
    return servers | mail_commands(config, endpoints)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def http_status(url: str) -> int:
    """Return the HTTP status of a GET of `url`, 0 when nothing answers."""
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


def bot_servers(config: LaunchConfig, endpoints: Path) -> dict[str, Server]:
    """Return the servers of `asf-bot run`: each command with its readiness check."""
    checks: dict[str, Callable[[], bool]] = {
        "action server": lambda: http_status(f"{config.action_url}/health") == 200,
        "Rasa server": lambda: rasa_ready(config),
        "web app": lambda: http_status(f"{config.web_url}/health") == 200,
        "mail sink": lambda: listening(config.mail_port),
    }
    environments: dict[str, Mapping[str, str]] = {
        # The secret goes by environment, never on a command line (which `ps` shows).
        "action server": {"ACTION_SERVER_TOKEN": config.action_token},
        "Rasa server": rasa_environment(shared_lock=Settings.from_env().redis_url is not None),
        # The web app reads conversations' checklists from Rasa's HTTP API with its token.
        "web app": {"RASA_TOKEN": config.token},
    }
    return {
        name: Server(command, checks.get(name, _always), environments.get(name, {}))
        for name, command in commands(config, endpoints).items()
    }


def rasa_environment(shared_lock: bool, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the Rasa server's pool sizes, and its lock lifetime when the lock store is
    shared: the environment's, else RASA_ENV and SHARED_LOCK_ENV."""
    environ = os.environ if environ is None else environ
    defaults = {**RASA_ENV, **(SHARED_LOCK_ENV if shared_lock else {})}
    return {name: environ.get(name) or value for name, value in defaults.items()}


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
        servers: Mapping[str, Server | list[str]] | None = None,
        say: Callable[[str], None] = _say,
    ) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}
        # Set from a signal handler; start() and run() give up waiting when it is.
        self.stop_requested = False
        # The servers: those of `asf-bot run` unless others are given (the cluster, tests).
        self._servers = servers
        self._commands: dict[str, Server] = {}
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
            self._commands = {
                name: server if isinstance(server, Server) else Server(list(server))
                for name, server in self._servers.items()
            }
        else:
            self._check_model()
            self._commands = bot_servers(self.config, write_endpoints(self.config))
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
        server = self._commands[name]
        self.processes[name] = subprocess.Popen(
            server.command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **QUIET_ENV, **server.environment},
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )

    def _ready(self, name: str) -> bool:
        """Return True when the named server answers."""
        return self._commands[name].ready()

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

    def settled(self) -> bool:
        """Return True when no server is waiting to start again or to answer again."""
        return not self._restart_at and not self._returning

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
