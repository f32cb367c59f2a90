from pathlib import Path

import pytest

from bot.runtime.settings import (
    DEVELOPMENT_PSEUDONYM_KEY,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    environment_names,
)


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
        "ACTION_SERVER_TOKEN": "s3cret",
    }
    assert Settings.from_env(production).production


@pytest.mark.parametrize("name", ["STAFF_EMAIL", "MAIL_FROM", "SMTP_HOST", "ACTION_SERVER_TOKEN"])
def test_production_refuses_to_start_without_real_mail_settings_or_the_action_secret(name):
    environ = {
        "ASF_ENV": "production",
        "ASF_PSEUDONYM_KEY": "k",
        "STAFF_EMAIL": "asf@example.se",
        "MAIL_FROM": "noreply@example.se",
        "SMTP_HOST": "smtp.example.se",
        "ACTION_SERVER_TOKEN": "s3cret",
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
            "RASA_MAX_IN_FLIGHT": "2",
            "MAX_MESSAGE_LENGTH": "300",
            "RATE_LIMIT_BURST": "4",
            "RATE_LIMIT_PER_MINUTE": "12",
            "RASA_TOKEN": " t0ken ",
        }
    )
    assert (settings.web_host, settings.web_port) == ("0.0.0.0", 9000)
    assert settings.rasa_token == "t0ken"
    assert Settings.from_env({"RASA_TOKEN": " "}).rasa_token is None
    assert settings.rasa_url == "http://rasa.internal:5005"
    assert settings.rasa_timeout == 2.5
    assert settings.rasa_max_in_flight == 2
    assert settings.max_message_length == 300
    assert (settings.rate_limit_burst, settings.rate_limit_per_minute) == (4, 12)


@pytest.mark.parametrize(
    ("name", "value"),
    [("WEB_PORT", "eighty"), ("MAX_MESSAGE_LENGTH", "0"), ("RASA_MAX_IN_FLIGHT", "0")],
)
def test_a_nonsense_number_fails_loudly_and_names_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_every_server_listens_on_loopback_only_by_default():
    settings = Settings.from_env({})
    assert (settings.web_host, settings.rasa_host, settings.action_host) == ("127.0.0.1",) * 3
    assert settings.action_server_token is None


def test_the_environment_opens_a_server_to_a_network_and_sets_the_action_secret():
    settings = Settings.from_env(
        {
            "RASA_HOST": "10.0.0.5",
            "ACTION_HOST": "10.0.0.6",
            "WEB_HOST": "0.0.0.0",
            "ACTION_SERVER_TOKEN": "s3cret",
        }
    )
    assert (settings.rasa_host, settings.action_host, settings.web_host) == (
        "10.0.0.5",
        "10.0.0.6",
        "0.0.0.0",
    )
    assert settings.action_server_token == "s3cret"
    # An empty value is no value: it must not mean "every interface".
    assert Settings.from_env({"RASA_HOST": "", "ACTION_HOST": " "}).rasa_host == "127.0.0.1"


def test_environment_names_lists_every_variable_the_settings_read():
    names = environment_names()
    assert {"ACTION_SERVER_TOKEN", "RASA_HOST", "ACTION_HOST", "WEB_HOST", "SMTP_HOST"} <= names
    assert {"DATABASE_URL", "ASF_ENV", "ASF_PSEUDONYM_KEY", "MAIL_POLL_SECONDS"} <= names
    # Each name changes the settings: none is listed by mistake.
    # ("1" is the default of the digest's switch and weekday: other values change them.)
    defaults_at_one = {"INSIGHT_DIGEST", "INSIGHT_DIGEST_WEEKDAY"}
    assert defaults_at_one <= names
    assert all(
        Settings.from_env({name: "1"}) != Settings()
        for name in names - {"ASF_ENV"} - defaults_at_one
    )
    assert Settings.from_env({"INSIGHT_DIGEST": "off", "INSIGHT_DIGEST_WEEKDAY": "2"}) != (
        Settings()
    )


def test_the_weekly_digest_goes_to_staff_on_monday_mornings_unless_configured_otherwise():
    settings = Settings.from_env({"STAFF_EMAIL": "asf@myndighet.se"})
    assert settings.insight_digest is True
    assert (settings.insight_digest_weekday, settings.insight_digest_hour) == (0, 7)
    assert settings.digest_to == "asf@myndighet.se"
    settings = Settings.from_env(
        {
            "STAFF_EMAIL": "asf@myndighet.se",
            "INSIGHT_EMAIL": "analys@myndighet.se",
            "INSIGHT_DIGEST_WEEKDAY": "fredag",
            "INSIGHT_DIGEST_HOUR": "0",
        }
    )
    assert settings.digest_to == "analys@myndighet.se"
    assert (settings.insight_digest_weekday, settings.insight_digest_hour) == (4, 0)
    assert Settings.from_env({"INSIGHT_DIGEST": "off"}).insight_digest is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("INSIGHT_DIGEST", "weekly"), ("INSIGHT_DIGEST_WEEKDAY", "8"), ("INSIGHT_DIGEST_HOUR", "24")],
)
def test_a_digest_setting_that_means_nothing_fails_loudly(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
