"""What `asf-bot run` starts for staff mail: the sink only without SMTP_HOST, the worker always."""

from __future__ import annotations

from pathlib import Path

from bot.runtime.launcher import LaunchConfig, commands, how_to_talk


def test_without_smtp_host_the_local_sink_and_the_worker_pointed_at_it_start(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    config = LaunchConfig(mail_port=2525, var_dir=Path("/srv/var"), token="t")
    started = commands(config, Path("/srv/var/endpoints.yml"))
    assert started["mail sink"][-4:] == ["--port", "2525", "--dir", "/srv/var/mail"]
    assert started["mail worker"][-4:] == ["--smtp-host", "127.0.0.1", "--smtp-port", "2525"]
    assert started["mail worker"][3:5] == ["--endpoints", "/srv/var/endpoints.yml"]
    assert "Staff mail:    /srv/var/mail/  (local SMTP sink on port 2525)" in how_to_talk(config)


def test_with_smtp_host_only_the_worker_starts_and_it_uses_the_relay(monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "smtp.example.se")
    config = LaunchConfig(token="t")
    started = commands(config, Path("/srv/var/endpoints.yml"))
    assert "mail sink" not in started
    # The weekly digest reads conversations from the tracker store Rasa's endpoints name.
    assert started["mail worker"][1:] == ["-m", "bot.mail", "--endpoints", "/srv/var/endpoints.yml"]
    assert "through SMTP_HOST" in how_to_talk(config, mail_sink=False)
