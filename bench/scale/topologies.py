"""The topologies the scale bench loads, each started fresh and always stopped.

- one machine: `asf-bot run`'s default (the launcher's Supervisor): SQLite tracker store
  and app database, Rasa's in-memory lock store, the web app, a mail worker;
- the cluster: `asf-bot cluster` (HAProxy in front of N Rasa servers, N action servers and
  N web apps, N mail workers) on a PostgreSQL database of its own and Redis;
- Rasa's `rasa init` starter bot served by `rasa run` with its own files (in-memory
  tracker and lock stores, no action server, no web app).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import commands
from bench.processes import environment, require_free_ports
from bench.scale.figures import ONE_MACHINE, STARTER, cluster_name
from bench.scale.proc import ProcessMap, shared_servers, supervised
from bench.scale.settings import UNLIMITED_RATE, ScaleSettings
from bench.settings import BenchError
from bot.runtime.cluster import ClusterConfig, Replicas, running_cluster
from bot.runtime.launcher import LaunchConfig, LaunchError, Server, Supervisor, rasa_ready
from bot.storage.migrate import upgrade

# What the bench's servers must not inherit from the caller's shell: each topology says
# which stores it uses, and staff mail goes to the local sink.
STORE_VARIABLES = ("DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL", "SMTP_HOST")


@dataclass(frozen=True)
class Running:
    """A started topology: where visitors and REST clients reach it, and its processes."""

    name: str
    # HAProxy's web frontend or the web app (None: the starter bot has none).
    web_url: str | None
    # Rasa's REST channel: HAProxy's rasa frontend or the one Rasa server.
    rasa_url: str
    # The topology's own processes by name ("Rasa server 2"), read afresh each time.
    own_processes: ProcessMap
    # Whether PostgreSQL and Redis work for it (their CPU is counted then).
    uses_shared_stores: bool

    def processes(self) -> dict[str, list[int]]:
        """Every process whose CPU and memory count for this topology."""
        found = dict(self.own_processes())
        if self.uses_shared_stores:
            found.update(shared_servers())
        return found


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@contextlib.contextmanager
def one_machine(settings: ScaleSettings) -> Iterator[Running]:
    """`asf-bot run`'s topology with a fresh SQLite tracker store and app database."""
    require_free_ports(settings.ports(), wait=15.0)
    var_dir = _fresh(settings.work_dir / "one-machine")
    database_url = f"sqlite:///{var_dir / 'app.db'}"
    upgrade(database_url)
    config = LaunchConfig(
        rasa_port=settings.rasa_port,
        action_port=settings.action_port,
        web_port=settings.web_port,
        mail_port=settings.mail_port,
        model=settings.model,
        var_dir=var_dir,
        log_dir=var_dir / "logs",
        startup_timeout=settings.startup_timeout,
    )
    supervisor = Supervisor(config)
    with environment({"DATABASE_URL": database_url, **UNLIMITED_RATE}, STORE_VARIABLES[1:]):
        try:
            supervisor.start()
            yield Running(
                ONE_MACHINE,
                config.web_url,
                config.rasa_url,
                lambda: supervised(supervisor.processes),
                uses_shared_stores=False,
            )
        except LaunchError as error:
            raise BenchError(f"the one-machine bot failed: {error}") from error
        finally:
            supervisor.stop()


@contextlib.contextmanager
def postgres_database(server_url: str, label: str) -> Iterator[str]:
    """A PostgreSQL database of its own (the cluster creates it), dropped afterwards."""
    name = f"asf_bench_{label}_{secrets.token_hex(4)}"
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(server_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@contextlib.contextmanager
def cluster(settings: ScaleSettings, replicas: int) -> Iterator[Running]:
    """`asf-bot cluster` with `replicas` of each server on a fresh PostgreSQL database."""
    require_free_ports(settings.ports(), wait=15.0)
    var_dir = _fresh(settings.work_dir / f"cluster-{replicas}")
    with postgres_database(settings.postgres_url, f"cluster{replicas}") as database:
        config = ClusterConfig(
            replicas=Replicas(rasa=replicas, action=replicas, web=replicas, mail=replicas),
            web_port=settings.web_port,
            rasa_port=settings.rasa_port,
            action_port=settings.action_port,
            rasa_ports=tuple(settings.rasa_replica_port + n for n in range(replicas)),
            action_ports=tuple(settings.action_replica_port + n for n in range(replicas)),
            web_ports=tuple(settings.web_replica_port + n for n in range(replicas)),
            mail_port=settings.mail_port,
            database_url=database,
            tracker_store_url=database,
            redis_url=settings.redis_url,
            model=settings.model,
            var_dir=var_dir,
            log_dir=var_dir / "logs",
            startup_timeout=settings.startup_timeout,
        )
        with environment(UNLIMITED_RATE, STORE_VARIABLES):
            try:
                with running_cluster(config) as supervisor:
                    yield Running(
                        cluster_name(replicas),
                        config.web_url,
                        config.rasa_url,
                        lambda: supervised(supervisor.processes),
                        uses_shared_stores=True,
                    )
            except LaunchError as error:
                raise BenchError(f"the cluster failed: {error}") from error


def create_starter(settings: ScaleSettings) -> tuple[Path, float]:
    """`rasa init --no-prompt` in a fresh folder (it trains the starter model too).

    Returns the project folder and how long creating and training it took.
    """
    project = _fresh(settings.work_dir / "starter")
    log = settings.work_dir / "logs" / "starter-init.log"
    done = commands.run(
        commands.rasa_argv("init", "--no-prompt", "--init-dir", str(project)),
        log,
        settings.starter_training_timeout,
    )
    if not any((project / "models").glob("*.tar.gz")):
        raise BenchError(f"`rasa init` trained no model; see {log}")
    return project, done.seconds


@contextlib.contextmanager
def starter(settings: ScaleSettings, project: Path) -> Iterator[Running]:
    """The starter bot served by `rasa run` as Rasa ships it, with its own files."""
    require_free_ports({"starter bot": settings.starter_port}, wait=15.0)
    config = LaunchConfig(
        rasa_port=settings.starter_port,
        model=project / "models",
        var_dir=project,
        log_dir=settings.work_dir / "logs" / "starter",
        startup_timeout=settings.startup_timeout,
    )
    server = Server(
        commands.rasa_argv(
            "run",
            "--model", str(project / "models"),
            "--endpoints", str(project / "endpoints.yml"),
            "--credentials", str(project / "credentials.yml"),
            "--interface", "127.0.0.1",
            "--port", str(settings.starter_port),
            # For the readiness check (/status) only; the load uses the REST channel.
            "--enable-api",
            f"--auth-token={config.token}",
        ),
        ready=lambda: rasa_ready(config),
    )  # fmt: skip
    supervisor = Supervisor(config, {"Rasa server": server})
    try:
        supervisor.start()
        yield Running(
            STARTER,
            None,
            config.rasa_url,
            lambda: supervised(supervisor.processes),
            uses_shared_stores=False,
        )
    except LaunchError as error:
        raise BenchError(f"the starter bot failed: {error}") from error
    finally:
        supervisor.stop()
