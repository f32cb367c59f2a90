from pathlib import Path

import pytest

from bot.runtime.settings import DEVELOPMENT_PSEUDONYM_KEY, PROJECT_ROOT, Settings, SettingsError


def test_defaults_keep_everything_inside_the_project():
    settings = Settings.from_env({})
    assert settings.content_dir == PROJECT_ROOT / "content"
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'app.db'}"
    assert settings.pseudonym_key == DEVELOPMENT_PSEUDONYM_KEY


def test_the_environment_moves_content_and_database():
    settings = Settings.from_env(
        {
            "ASF_CONTENT_DIR": "/srv/asf/content",
            "DATABASE_URL": "postgresql+psycopg2://asf@db/asf",
            "ASF_PSEUDONYM_KEY": "k",
        }
    )
    assert settings.content_dir == Path("/srv/asf/content")
    assert settings.database_url == "postgresql+psycopg2://asf@db/asf"
    assert settings.pseudonym_key == "k"


def test_production_refuses_to_start_without_a_pseudonym_key():
    with pytest.raises(SettingsError, match="ASF_PSEUDONYM_KEY"):
        Settings.from_env({"ASF_ENV": "production"})
    production = {
        "ASF_ENV": "production",
        "ASF_PSEUDONYM_KEY": "k",
        "STAFF_EMAIL": "asf@example.se",
        "MAIL_FROM": "ASF-hjälpen <noreply@example.se>",
        "SMTP_HOST": "smtp.example.se",
    }
    assert Settings.from_env(production).production


@pytest.mark.parametrize("name", ["STAFF_EMAIL", "MAIL_FROM", "SMTP_HOST"])
def test_production_refuses_to_start_without_real_staff_mail_settings(name):
    environ = {
        "ASF_ENV": "production",
        "ASF_PSEUDONYM_KEY": "k",
        "STAFF_EMAIL": "asf@example.se",
        "MAIL_FROM": "noreply@example.se",
        "SMTP_HOST": "smtp.example.se",
    }
    del environ[name]
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(environ)


def test_staff_mail_goes_to_the_local_sink_by_default():
    settings = Settings.from_env({})
    assert settings.smtp_host is None
    assert settings.staff_email and settings.mail_from
    assert settings.smtp_starttls is None


def test_the_smtp_relay_is_configured_by_environment():
    settings = Settings.from_env(
        {
            "STAFF_EMAIL": "asf@example.se",
            "MAIL_FROM": "noreply@example.se",
            "SMTP_HOST": "smtp.example.se",
            "SMTP_PORT": "587",
            "SMTP_USER": "bot",
            "SMTP_PASSWORD": "secret",
            "SMTP_STARTTLS": "true",
        }
    )
    assert (settings.smtp_host, settings.smtp_port) == ("smtp.example.se", 587)
    assert (settings.smtp_user, settings.smtp_password) == ("bot", "secret")
    assert settings.smtp_starttls is True
    assert settings.staff_email == "asf@example.se"
    with pytest.raises(SettingsError, match="SMTP_STARTTLS"):
        Settings.from_env({"SMTP_STARTTLS": "kanske"})


def test_the_web_app_has_safe_local_defaults():
    settings = Settings.from_env({})
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.rasa_url == "http://localhost:5005"
    assert settings.max_message_length == 500
    assert (settings.rate_limit_burst, settings.rate_limit_per_minute) == (10, 30)


def test_the_web_app_is_configured_by_environment():
    settings = Settings.from_env(
        {
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "9000",
            "RASA_URL": "http://rasa.internal:5005/",
            "RASA_TIMEOUT": "2.5",
            "MAX_MESSAGE_LENGTH": "300",
            "RATE_LIMIT_BURST": "4",
            "RATE_LIMIT_PER_MINUTE": "12",
        }
    )
    assert (settings.web_host, settings.web_port) == ("0.0.0.0", 9000)
    assert settings.rasa_url == "http://rasa.internal:5005"
    assert settings.rasa_timeout == 2.5
    assert settings.max_message_length == 300
    assert (settings.rate_limit_burst, settings.rate_limit_per_minute) == (4, 12)


@pytest.mark.parametrize(("name", "value"), [("WEB_PORT", "eighty"), ("MAX_MESSAGE_LENGTH", "0")])
def test_a_nonsense_number_fails_loudly_and_names_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
