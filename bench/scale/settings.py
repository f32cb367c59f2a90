"""What the scale bench runs: levels, soak, ports, stores and time limits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bench.settings import BENCH_DIR
from bot.runtime.settings import PROJECT_ROOT

# The visitors type faster than people: the rate limit must not be what is measured.
UNLIMITED_RATE = {"RATE_LIMIT_BURST": "1000000", "RATE_LIMIT_PER_MINUTE": "1000000"}


@dataclass(frozen=True)
class ScaleSettings:
    """One scale run's parameters; `quick_variant()` gives the smoke-test variant."""

    work_dir: Path = BENCH_DIR / "work" / "scale"
    results_dir: Path = BENCH_DIR / "results"
    # The model `make setup` trains; every topology of ours serves this file.
    model: Path = PROJECT_ROOT / "models" / "asf.tar.gz"
    # Away from `make run`'s ports and from the NLU bench's (51xx).
    web_port: int = 5380
    rasa_port: int = 5305
    action_port: int = 5355
    mail_port: int = 5325
    # The starter bot runs beside our one-machine bot, so that the two take turns.
    starter_port: int = 5405
    # The cluster's replicas count up from these.
    rasa_replica_port: int = 5310
    action_replica_port: int = 5360
    web_replica_port: int = 5390
    # The PostgreSQL server (a database of its own per topology is created and dropped).
    postgres_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379/0"
    concurrency_levels: tuple[int, ...] = (20, 50)
    # One machine is also loaded by one visitor: each message's cost without queueing.
    single_visitor: bool = True
    single_visitor_messages: int = 200
    warmup_messages: int = 100
    # 2400 measured messages per level: about 30 s of ours at 50 conversations. With
    # 800, ours was measured for 10 s (the starter bot for 30 s), and its p95, the 40
    # slowest messages, moved with every second this shared machine ran slower.
    messages_per_level: int = 2400
    soak_minutes: float = 10.0
    soak_conversations: int = 50
    soak_replicas: int = 2
    soak_sample_seconds: float = 10.0
    request_timeout: float = 60.0
    level_time_limit: float = 300.0
    startup_timeout: float = 300.0
    starter_training_timeout: float = 900.0
    # Cores of the machine per replica in the projection (this machine's count).
    projection_cores: int = 2
    seed: int = 12
    quick: bool = False

    def quick_variant(self) -> ScaleSettings:
        """Settings for a fast smoke run whose report goes to the scratch folder."""
        return dataclasses.replace(
            self,
            results_dir=BENCH_DIR / "work" / "quick-results",
            warmup_messages=20,
            messages_per_level=60,
            single_visitor_messages=30,
            soak_minutes=1.0,
            soak_sample_seconds=5.0,
            level_time_limit=120.0,
            quick=True,
        )

    def ports(self) -> dict[str, int]:
        """Every port a topology of the run listens on, by what listens there."""
        ports = {
            "web (HAProxy or the web app)": self.web_port,
            "Rasa (HAProxy or the server)": self.rasa_port,
            "actions (HAProxy or the server)": self.action_port,
            "mail sink": self.mail_port,
            "starter bot": self.starter_port,
        }
        for number in range(max(2, self.soak_replicas)):
            ports[f"Rasa replica {number + 1}"] = self.rasa_replica_port + number
            ports[f"action replica {number + 1}"] = self.action_replica_port + number
            ports[f"web replica {number + 1}"] = self.web_replica_port + number
        return ports
