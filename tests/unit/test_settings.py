from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings, SettingsError


def test_content_is_read_from_the_project_by_default():
    assert Settings.from_env({}).content_dir == PROJECT_ROOT / "content"


def test_the_content_folder_can_be_moved_by_environment():
    settings = Settings.from_env({"ASF_CONTENT_DIR": "/srv/asf/content"})
    assert settings.content_dir == Path("/srv/asf/content")


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
