"""Closed by default: every server listens on loopback, the action server needs its secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.runtime.action_server import main as action_server_main
from bot.runtime.cli import _launch_options, main, parser
from bot.runtime.launcher import LaunchConfig, bot_servers, commands, write_endpoints
from bot.runtime.settings import Settings

PRODUCTION = {
    "ASF_ENV": "production",
    "ASF_PSEUDONYM_KEY": "k",
    "STAFF_EMAIL": "asf@example.se",
    "MAIL_FROM": "noreply@example.se",
    "SMTP_HOST": "smtp.example.se",
}


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_every_server_the_launcher_starts_listens_on_loopback_by_default(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    started = commands(LaunchConfig(token="t"), Path("/srv/var/endpoints.yml"))
    assert option(started["Rasa server"], "--interface") == "127.0.0.1"
    assert option(started["action server"], "--host") == "127.0.0.1"
    assert option(started["web app"], "--host") == "127.0.0.1"
    assert option(started["mail sink"], "--host") == "127.0.0.1"


def test_the_web_app_is_given_rasas_token_by_environment_never_on_its_command_line(tmp_path):
    servers = bot_servers(LaunchConfig(token="rasa-t0ken"), tmp_path / "endpoints.yml")
    assert servers["web app"].environment["RASA_TOKEN"] == "rasa-t0ken"
    assert not any("rasa-t0ken" in part for part in servers["web app"].command)
    assert "--auth-token=rasa-t0ken" in servers["Rasa server"].command


def test_configured_hosts_reach_the_servers_and_the_urls_between_them():
    config = LaunchConfig(rasa_host="10.0.0.5", action_host="0.0.0.0", web_host="::", token="t")
    started = commands(config, Path("/srv/var/endpoints.yml"))
    assert option(started["Rasa server"], "--interface") == "10.0.0.5"
    assert option(started["action server"], "--host") == "0.0.0.0"
    assert option(started["web app"], "--host") == "::"
    # Every interface includes loopback: the other servers use it.
    assert config.rasa_url == "http://10.0.0.5:5005"
    assert option(started["web app"], "--rasa-url") == "http://10.0.0.5:5005"
    assert config.action_url == "http://127.0.0.1:5055"
    assert config.web_url == "http://localhost:8080"
    assert LaunchConfig(action_host="fd00::5").action_url == "http://[fd00::5]:5055"


def test_asf_bot_run_takes_hosts_from_its_options_before_the_environment(capsys):
    settings = Settings.from_env({"WEB_HOST": "0.0.0.0", "ACTION_HOST": "10.0.0.6"})
    args = parser().parse_args(["run", "--rasa-host", "10.0.0.5", "--action-host", "10.0.0.7"])
    options = _launch_options(args, settings, {})
    assert (options["rasa_host"], options["action_host"], options["web_host"]) == (
        "10.0.0.5",
        "10.0.0.7",
        "0.0.0.0",
    )
    defaults = _launch_options(parser().parse_args(["run"]), Settings.from_env({}), {})
    assert {defaults[k] for k in ("rasa_host", "action_host", "web_host")} == {"127.0.0.1"}


def test_asf_bot_run_makes_an_action_secret_per_run_unless_one_is_set(capsys):
    args = parser().parse_args(["run"])
    first = LaunchConfig(**_launch_options(args, Settings.from_env({}), {}))
    second = LaunchConfig(**_launch_options(args, Settings.from_env({}), {}))
    assert len(first.action_token) >= 32 and first.action_token != second.action_token
    assert "ACTION_SERVER_TOKEN is not set: generated one" in capsys.readouterr().out
    given = _launch_options(args, Settings.from_env({"ACTION_SERVER_TOKEN": "s3cret"}), {})
    assert given["action_token"] == "s3cret"


def test_the_endpoints_file_sends_the_secret_in_a_header_and_only_its_user_reads_it(tmp_path):
    from rasa.utils.endpoints import read_endpoint_config

    config = LaunchConfig(var_dir=tmp_path, action_port=5999, action_token="s3cret", token="t")
    path = write_endpoints(config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    endpoint = read_endpoint_config(str(path), "action_endpoint")
    assert endpoint.url == "http://127.0.0.1:5999/webhook"
    assert endpoint.headers == {"Authorization": "Bearer s3cret"}
    # Not as a query parameter: URLs end up in logs.
    assert endpoint.token is None and not endpoint.params


def test_the_action_server_refuses_to_start_without_its_secret(monkeypatch):
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="ACTION_SERVER_TOKEN is not set"):
        action_server_main(["--actions", "actions", "--port", "1"])


def test_in_production_the_action_server_and_asf_bot_run_refuse_to_start_without_it(
    monkeypatch, capsys
):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match="ACTION_SERVER_TOKEN must be set when ASF_ENV"):
        action_server_main(["--actions", "actions", "--port", "1"])
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--var-dir", "/nonexistent/var"])
    assert exit_.value.code == 1
    assert "ACTION_SERVER_TOKEN must be set when ASF_ENV=production" in capsys.readouterr().err
