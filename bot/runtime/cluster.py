"""`asf-bot cluster`: the several-machine topology, on one machine.

HAProxy (round robin, health checks, no sticky sessions) in front of Rasa replicas, of
action servers and of web apps, with mail workers on one outbox; all of them on
PostgreSQL (tracker store and app database) and Redis (lock store and rate limits).
It is Rasa's own way to scale, run with the same code and the same `deploy/` files as
an install on several machines (README, "Running on several machines").

    visitors ─> HAProxy web ─> web apps ─> HAProxy rasa ─> Rasa servers
                                                             └─> HAProxy actions ─> action servers
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import string
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.runtime.launcher import (
    LOGGING_CONFIG,
    LaunchConfig,
    LaunchError,
    Server,
    Supervisor,
    http_status,
    listening,
    mail_commands,
    rasa_environment,
    rasa_ready,
    write_endpoints,
)
from bot.runtime.settings import PROJECT_ROOT, Settings

HAPROXY_TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"

# The topology on this machine when the environment names none: the local PostgreSQL
# and Redis that the development and CI machines run (README).
LOCAL_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/asf"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Replicas:
    """How many of each server the cluster runs."""

    rasa: int = 2
    action: int = 2
    web: int = 2
    mail: int = 2

    def __post_init__(self) -> None:
        for name in ("rasa", "action", "web", "mail"):
            if getattr(self, name) < 1:
                raise ValueError(f"at least one {name} replica is needed")


def _ports(first: int, count: int) -> tuple[int, ...]:
    return tuple(range(first, first + count))


@dataclass(frozen=True)
class ClusterConfig:
    """Where HAProxy and each replica listen, and what the replicas share."""

    replicas: Replicas = Replicas()
    # HAProxy's frontends: the web one faces visitors, the other two stay private.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    rasa_port: int = 5005
    action_port: int = 5055
    # The replicas' own ports, on loopback (one per replica; None: counted up from
    # 15005, 15055 and 18080).
    rasa_ports: tuple[int, ...] | None = None
    action_ports: tuple[int, ...] | None = None
    web_ports: tuple[int, ...] | None = None
    # The local SMTP sink's port, used only when SMTP_HOST is unset.
    mail_port: int = 1025
    database_url: str = LOCAL_DATABASE_URL
    tracker_store_url: str = LOCAL_DATABASE_URL
    redis_url: str = LOCAL_REDIS_URL
    model: Path = PROJECT_ROOT / "models"
    var_dir: Path = PROJECT_ROOT / "var" / "cluster"
    log_dir: Path | None = None
    token: str = field(default_factory=lambda: LaunchConfig().token)
    action_token: str = field(default_factory=lambda: LaunchConfig().action_token)
    startup_timeout: float = 300.0

    def __post_init__(self) -> None:
        defaults = {
            "rasa_ports": (15005, self.replicas.rasa),
            "action_ports": (15055, self.replicas.action),
            "web_ports": (18080, self.replicas.web),
        }
        for name, (first, count) in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, _ports(first, count))
            elif len(getattr(self, name)) != count:
                raise ValueError(f"{name} needs one port per replica ({count})")

    @property
    def stats_socket(self) -> Path:
        """HAProxy's stats socket: each replica's state and the requests it took."""
        return self.var_dir / "haproxy.sock"

    @property
    def web_url(self) -> str:
        """Where visitors reach the bot: HAProxy's web frontend."""
        host = "localhost" if self.web_host in ("127.0.0.1", "0.0.0.0", "") else self.web_host
        return f"http://{host}:{self.web_port}"

    @property
    def rasa_url(self) -> str:
        """Where the web apps reach Rasa: HAProxy's rasa frontend."""
        return f"http://127.0.0.1:{self.rasa_port}"

    def launch_config(self) -> LaunchConfig:
        """The supervisor's settings; the action URL is HAProxy's actions frontend."""
        return LaunchConfig(
            rasa_port=self.rasa_port,
            action_port=self.action_port,
            web_port=self.web_port,
            mail_port=self.mail_port,
            model=self.model,
            var_dir=self.var_dir,
            token=self.token,
            action_token=self.action_token,
            startup_timeout=self.startup_timeout,
            log_dir=self.log_dir,
        )

    def environment(self) -> dict[str, str]:
        """What every replica reads to find the shared stores."""
        return {
            "DATABASE_URL": self.database_url,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "REDIS_URL": self.redis_url,
        }


def from_environment(environ: Mapping[str, str], **options: object) -> ClusterConfig:
    """Return a ClusterConfig whose stores come from the environment, else the local ones."""
    database_url = environ.get("DATABASE_URL") or LOCAL_DATABASE_URL
    return ClusterConfig(
        database_url=database_url,
        tracker_store_url=environ.get("TRACKER_STORE_URL") or database_url,
        redis_url=environ.get("REDIS_URL") or LOCAL_REDIS_URL,
        **options,  # type: ignore[arg-type]
    )


def haproxy_config(
    web_bind: str,
    rasa_bind: str,
    action_bind: str,
    web_servers: list[str],
    rasa_servers: list[str],
    action_servers: list[str],
    stats_socket: str = "/run/haproxy/asf-hjalpen.sock",
    template: Path = HAPROXY_TEMPLATE,
) -> str:
    """Render deploy/haproxy.cfg.template for the given addresses (host:port each)."""

    def lines(prefix: str, addresses: list[str]) -> str:
        return "\n".join(
            f"    server {prefix}{number} {address} check"
            for number, address in enumerate(addresses, start=1)
        )

    return string.Template(template.read_text(encoding="utf-8")).substitute(
        web_bind=web_bind,
        rasa_bind=rasa_bind,
        action_bind=action_bind,
        stats_socket=stats_socket,
        web_servers=lines("web", web_servers),
        rasa_servers=lines("rasa", rasa_servers),
        action_servers=lines("actions", action_servers),
    )


def haproxy_binary() -> str:
    """Return HAProxy's path; LaunchError with what to do when it is not installed."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if found is None:
        raise LaunchError("HAProxy is not installed: `make cluster` installs it (Debian: haproxy)")
    return found


def write_haproxy_config(config: ClusterConfig) -> Path:
    """Write this cluster's HAProxy configuration under its var directory."""
    loopback = "127.0.0.1"
    rendered = haproxy_config(
        web_bind=f"{config.web_host}:{config.web_port}",
        rasa_bind=f"{loopback}:{config.rasa_port}",
        action_bind=f"{loopback}:{config.action_port}",
        web_servers=[f"{loopback}:{port}" for port in config.web_ports or ()],
        rasa_servers=[f"{loopback}:{port}" for port in config.rasa_ports or ()],
        action_servers=[f"{loopback}:{port}" for port in config.action_ports or ()],
        stats_socket=str(config.stats_socket),
    )
    config.var_dir.mkdir(parents=True, exist_ok=True)
    path = config.var_dir / "haproxy.cfg"
    path.write_text(rendered, encoding="utf-8")
    return path


def haproxy_stats(socket_path: Path) -> list[dict[str, str]]:
    """Return HAProxy's `show stat` rows (one per frontend, backend and server)."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(5)
        connection.connect(str(socket_path))
        connection.sendall(b"show stat\n")
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode("utf-8").lstrip("# ").splitlines()
    return list(csv.DictReader(line for line in lines if line))


def every_replica_up(socket_path: Path) -> bool:
    """Return True once HAProxy's health checks pass for every replica it balances."""
    try:
        rows = haproxy_stats(socket_path)
    except OSError:
        return False
    servers = [row for row in rows if row["svname"] not in ("FRONTEND", "BACKEND")]
    return bool(servers) and all(row["status"] == "UP" for row in servers)


def _rasa_answers(port: int, token: str) -> bool:
    """Return True once the Rasa replica on `port` answers with its model loaded."""
    return rasa_ready(LaunchConfig(rasa_port=port, token=token))


def cluster_servers(config: ClusterConfig, endpoints: Path, haproxy_cfg: Path) -> dict[str, Server]:
    """Return every process of the cluster, HAProxy first, each with its health check."""
    shared = config.environment()
    servers: dict[str, Server] = {
        "HAProxy": Server(
            [haproxy_binary(), "-db", "-f", str(haproxy_cfg)],
            ready=lambda: every_replica_up(config.stats_socket),
        )
    }
    for number, port in enumerate(config.action_ports or (), start=1):
        servers[f"action server {number}"] = Server(
            [
                sys.executable, "-m", "bot.runtime.action_server",
                "--actions", "actions", "--host", "127.0.0.1", "--port", str(port),
            ],
            ready=lambda port=port: http_status(f"http://127.0.0.1:{port}/health") == 200,
            environment={**shared, "ACTION_SERVER_TOKEN": config.action_token},
        )  # fmt: skip
    for number, port in enumerate(config.rasa_ports or (), start=1):
        servers[f"Rasa server {number}"] = Server(
            [
                sys.executable, "-m", "bot.runtime.rasa_server", "run",
                "--model", str(config.model),
                "--endpoints", str(endpoints),
                "--credentials", str(PROJECT_ROOT / "credentials.yml"),
                "--interface", "127.0.0.1",
                "--port", str(port),
                "--enable-api",
                f"--auth-token={config.token}",
                "--logging-config-file", str(LOGGING_CONFIG),
            ],
            ready=lambda port=port: _rasa_answers(port, config.token),
            environment={**shared, **rasa_environment(shared_lock=True)},
        )  # fmt: skip
    for number, port in enumerate(config.web_ports or (), start=1):
        servers[f"web app {number}"] = Server(
            [
                sys.executable, "-m", "bot.web",
                "--host", "127.0.0.1", "--port", str(port), "--rasa-url", config.rasa_url,
            ],
            ready=lambda port=port: http_status(f"http://127.0.0.1:{port}/health") == 200,
            # Rasa's token, for reading conversations' checklists through its HTTP API.
            environment={**shared, "RASA_TOKEN": config.token},
        )  # fmt: skip
    mail = mail_commands(config.launch_config())
    if "mail sink" in mail:
        servers["mail sink"] = Server(
            mail.pop("mail sink"), ready=lambda: listening(config.mail_port)
        )
    for number in range(1, config.replicas.mail + 1):
        servers[f"mail worker {number}"] = Server(mail["mail worker"], environment=shared)
    return servers


def prepare_databases(config: ClusterConfig) -> None:
    """Create what the replicas share before any of them starts.

    The PostgreSQL databases if they are missing, the app database's schema (Alembic),
    and Rasa's events table: replicas starting together would otherwise race to create it.
    """
    from bot.nlp.tracker_store import create_tables
    from bot.storage.migrate import upgrade

    for url in dict.fromkeys((config.database_url, config.tracker_store_url)):
        ensure_database(url)
    upgrade(config.database_url)
    create_tables(config.tracker_store_url)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database `url` names when it does not exist yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return
    maintenance = create_engine(
        parsed.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT"
    )
    try:
        with maintenance.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ).scalar()
            if not exists:
                quoted = maintenance.dialect.identifier_preparer.quote(parsed.database)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        maintenance.dispose()


def check_stores(config: ClusterConfig) -> None:
    """LaunchError naming the store that does not answer, and how to fix it."""
    import redis

    stores = (("app database", config.database_url), ("tracker store", config.tracker_store_url))
    for name, url in stores:
        # The server, not the database, which prepare_databases creates when missing.
        engine = create_engine(make_url(url).set(database="postgres") if _postgres(url) else url)
        try:
            with engine.connect():
                pass
        except Exception as error:
            raise LaunchError(
                f"the {name} does not answer at {_without_password(url)} "
                f"({type(error).__name__}): start PostgreSQL, or set DATABASE_URL and "
                "TRACKER_STORE_URL"
            ) from error
        finally:
            engine.dispose()
    try:
        redis.Redis.from_url(config.redis_url, socket_timeout=3).ping()
    except redis.RedisError as error:
        raise LaunchError(
            f"Redis does not answer at {config.redis_url} ({type(error).__name__}): "
            "start Redis or set REDIS_URL"
        ) from error


def _postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _without_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def how_to_talk(config: ClusterConfig, mail_sink: bool) -> str:
    """Return the lines printed once the cluster is up."""
    replicas = config.replicas
    mail = (
        f"local SMTP sink on port {config.mail_port}, {config.var_dir / 'mail'}/"
        if mail_sink
        else "sent to STAFF_EMAIL through SMTP_HOST"
    )
    return "\n".join(
        [
            "",
            "ASF-hjälpen is running as a cluster.",
            f"  Web page:        {config.web_url}  (HAProxy, round robin over "
            f"{replicas.web} web app(s))",
            f"  Rasa:            {config.rasa_url}  (HAProxy, {replicas.rasa} replica(s) "
            f"on ports {', '.join(map(str, config.rasa_ports or ()))})",
            f"  Action servers:  http://127.0.0.1:{config.action_port}  (HAProxy, "
            f"{replicas.action} replica(s))",
            f"  Mail workers:    {replicas.mail}, {mail}",
            f"  Tracker store:   {_without_password(config.tracker_store_url)}",
            f"  App database:    {_without_password(config.database_url)}",
            f"  Lock store:      {config.redis_url}",
            f"  RASA_TOKEN:      {config.token}  (protects the HTTP API)",
            "",
            f'Open {config.web_url} and press "Chatta med oss". Press Ctrl-C to stop.',
            "",
        ]
    )


def prepare(config: ClusterConfig) -> Supervisor:
    """Check and prepare the shared stores, write the configuration files, and return the
    supervisor that will run every server (not started yet)."""
    check_stores(config)
    prepare_databases(config)
    settings = Settings.from_env({**os.environ, **config.environment()})
    endpoints = write_endpoints(config.launch_config(), settings)
    return Supervisor(
        config.launch_config(), cluster_servers(config, endpoints, write_haproxy_config(config))
    )


@contextmanager
def running_cluster(config: ClusterConfig) -> Iterator[Supervisor]:
    """Start the cluster, yield its supervisor once every server answers, then stop it all."""
    supervisor = prepare(config)
    try:
        supervisor.start()
        yield supervisor
    finally:
        supervisor.stop()


def run(config: ClusterConfig) -> int:
    """Start the cluster, print how to reach it and supervise it until Ctrl-C."""
    supervisor: Supervisor | None = None
    stopping = False

    # Only flags are set here: a signal handler that took a lock could deadlock with the
    # code it interrupted.
    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        if supervisor is not None:
            supervisor.stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        supervisor = prepare(config)
        supervisor.stop_requested = stopping
        supervisor.start()
        if not supervisor.stop_requested:
            print(how_to_talk(config, Settings.from_env().smtp_host is None), flush=True)
        while not supervisor.stop_requested:
            supervisor.watch()
            time.sleep(0.5)
        print("Stopping ASF-hjälpen ...", flush=True)
        return 0
    except LaunchError as error:
        if stopping:
            return 0
        print(f"ASF-hjälpen could not run: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        if supervisor is not None:
            supervisor.stop()
