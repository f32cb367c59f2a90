"""The cluster's configuration: HAProxy's, the replicas' endpoints, deploy/'s files."""

from __future__ import annotations

import configparser
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.runtime import cli
from bot.runtime.cluster import (
    ClusterConfig,
    Replicas,
    cluster_servers,
    haproxy_config,
    write_haproxy_config,
)
from bot.runtime.launcher import ATOMIC_LOCK_STORE, LaunchConfig, render_endpoints, write_endpoints
from bot.runtime.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
PG = "postgresql+psycopg2://asf:s3cret@10.0.0.10:5432/asf"


def haproxy() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if found is None:
        pytest.skip("HAProxy is not installed (make test installs it from Debian's packages)")
    return found


def backend(config: str, name: str) -> str:
    """The lines of one backend section of an HAProxy configuration."""
    match = re.search(rf"^backend {name}\n(.*?)(?=^\S|\Z)", config, re.M | re.S)
    assert match, f"no backend {name}"
    return match.group(1)


def test_every_replica_is_a_health_checked_server_of_its_round_robin_backend():
    rendered = haproxy_config(
        web_bind="*:8080",
        rasa_bind="10.0.0.5:5005",
        action_bind="10.0.0.5:5055",
        web_servers=["10.0.0.21:8080", "10.0.0.22:8080"],
        rasa_servers=["10.0.0.21:5005", "10.0.0.22:5005", "10.0.0.23:5005"],
        action_servers=["10.0.0.21:5055"],
    )
    assert re.findall(r"server \S+ (\S+) check", backend(rendered, "rasa_servers")) == [
        "10.0.0.21:5005",
        "10.0.0.22:5005",
        "10.0.0.23:5005",
    ]
    assert re.findall(r"server \S+ (\S+) check", backend(rendered, "web_apps")) == [
        "10.0.0.21:8080",
        "10.0.0.22:8080",
    ]
    assert "option httpchk GET /health" in backend(rendered, "action_servers")
    assert "balance roundrobin" in rendered
    # No sticky sessions: any replica may take any message of any conversation.
    assert not re.search(r"^\s*(cookie|stick|hash-type|balance source)", rendered, re.M)
    # A request is sent again only when no connection could be made.
    assert re.findall(r"^\s*retry-on (.*)$", rendered, re.M) == ["conn-failure"]


def test_the_cluster_on_one_machine_keeps_rasa_and_the_action_servers_on_loopback(tmp_path):
    config = ClusterConfig(replicas=Replicas(rasa=3, action=2, web=1, mail=1), var_dir=tmp_path)
    rendered = write_haproxy_config(config).read_text(encoding="utf-8")
    assert re.findall(r"^\s*bind (\S+)", rendered, re.M) == [
        "127.0.0.1:8080",
        "127.0.0.1:5005",
        "127.0.0.1:5055",
    ]
    assert config.rasa_ports == (15005, 15006, 15007)
    assert config.action_ports == (15055, 15056)
    assert len(re.findall(r"server rasa\d", rendered)) == 3


def test_haproxy_accepts_the_rendered_configuration(tmp_path):
    binary = haproxy()
    config = ClusterConfig(var_dir=tmp_path)
    checked = subprocess.run(
        [binary, "-c", "-f", str(write_haproxy_config(config))], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_haproxy_config_prints_a_configuration_for_several_machines(tmp_path, capsys):
    binary = haproxy()
    command = "haproxy-config --web 10.0.0.21:8080 --web 10.0.0.22:8080"
    command += " --rasa 10.0.0.21:5005 --actions 10.0.0.21:5055"
    args = cli.parser().parse_args([*command.split(), "--stats-socket", str(tmp_path / "s.sock")])
    assert args.handler(args) == 0
    path = tmp_path / "haproxy.cfg"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "server web2 10.0.0.22:8080 check" in path.read_text(encoding="utf-8")
    checked = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_replica_counts_must_match_their_ports():
    with pytest.raises(ValueError, match="one port per replica"):
        ClusterConfig(replicas=Replicas(rasa=2), rasa_ports=(15005,))
    with pytest.raises(ValueError, match="at least one"):
        Replicas(web=0)


def test_the_environment_moves_conversations_to_postgresql_and_locks_to_redis(tmp_path):
    settings = Settings.from_env({"TRACKER_STORE_URL": PG, "REDIS_URL": "redis://10.0.0.10/0"})
    endpoints = render_endpoints("http://10.0.0.5:5055", "secret", settings, sqlite_dir=tmp_path)
    tracker = endpoints["tracker_store"]
    assert tracker["type"] == "bot.nlp.tracker_store.RedactingSQLTrackerStore"
    # Rasa passes a custom tracker store's host as `url` (the rest as they are).
    assert (tracker["dialect"], tracker["url"], tracker["db"]) == (
        "postgresql",
        "10.0.0.10",
        "asf",
    )
    assert endpoints["lock_store"] == {
        "type": ATOMIC_LOCK_STORE,
        "url": "redis://10.0.0.10/0",
        "key_prefix": "asf",
    }
    assert endpoints["action_endpoint"]["url"] == "http://10.0.0.5:5055/webhook"
    assert endpoints["action_endpoint"]["headers"]["Authorization"] == "Bearer secret"


def test_without_them_the_one_machine_defaults_stay(tmp_path):
    path = write_endpoints(LaunchConfig(token="t", var_dir=tmp_path), Settings.from_env({}))
    endpoints = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["db"] == str(tmp_path / "tracker.db")
    assert "lock_store" not in endpoints  # Rasa's in-memory lock store
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_endpoints_command_writes_a_replicas_file_from_the_environment(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("TRACKER_STORE_URL", PG)
    monkeypatch.setenv("REDIS_URL", "redis://10.0.0.10:6379/0")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "s3cret")
    out = tmp_path / "run" / "endpoints.yml"
    args = cli.parser().parse_args(
        ["endpoints", "--action-url", "http://10.0.0.5:5055", "--out", str(out)]
    )
    assert args.handler(args) == 0
    endpoints = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert endpoints["lock_store"]["type"] == ATOMIC_LOCK_STORE
    assert endpoints["action_endpoint"]["headers"]["Authorization"] == "Bearer s3cret"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_every_web_app_of_the_cluster_is_given_rasas_token_by_environment(tmp_path):
    haproxy()
    config = ClusterConfig(replicas=Replicas(rasa=2, action=1, web=2), token="rasa-t0ken")
    servers = cluster_servers(config, tmp_path / "endpoints.yml", tmp_path / "haproxy.cfg")
    web_apps = [server for name, server in servers.items() if name.startswith("web app")]
    assert len(web_apps) == 2
    for server in web_apps:
        assert server.environment["RASA_TOKEN"] == "rasa-t0ken"
        assert not any("rasa-t0ken" in part for part in server.command)


def test_the_endpoints_command_refuses_without_the_action_secret(tmp_path, capsys):
    args = cli.parser().parse_args(
        ["endpoints", "--action-url", "http://10.0.0.5:5055", "--out", str(tmp_path / "e.yml")]
    )
    assert args.handler(args) == 1
    assert "ACTION_SERVER_TOKEN is not set" in capsys.readouterr().err


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def example_environment() -> dict[str, str]:
    lines = (DEPLOY / "asf.env.example").read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def test_the_example_environment_is_a_valid_production_configuration():
    settings = Settings.from_env(example_environment())
    assert settings.production
    assert settings.tracker_store_url and settings.tracker_store_url.startswith("postgresql")
    assert settings.redis_url == "redis://10.0.0.10:6379/0"


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_restarts_its_server_and_starts_project_code_with_known_variables(path):
    service = unit(path)["Service"]
    assert service["Restart"] in ("always", "on-failure")
    assert service["EnvironmentFile"] == "/etc/asf-hjalpen/asf.env"
    assert service["User"] != "root"
    commands = " ".join(service[key] for key in ("ExecStartPre", "ExecStart") if key in service)
    for module in re.findall(r"-m (\S+)", commands):
        relative = Path(*module.split("."))
        assert (PROJECT_ROOT / relative).with_suffix(".py").exists() or (
            PROJECT_ROOT / relative / "__main__.py"
        ).exists(), f"{path.name} starts {module}, which does not exist"
    for name in re.findall(r"\$\{(\w+)\}", commands):
        assert name in example_environment(), f"{path.name} uses ${name}, not in asf.env.example"


def test_there_is_a_unit_for_each_kind_of_server():
    assert {path.name for path in UNITS} == {
        "asf-rasa@.service",
        "asf-actions@.service",
        "asf-web@.service",
        "asf-mail-worker@.service",
    }
