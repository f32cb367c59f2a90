from pathlib import Path

import pytest

from bot.settings import DEVELOPMENT_PSEUDONYM_KEY, PROJECT_ROOT, Settings, SettingsError


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
    assert Settings.from_env({"ASF_ENV": "production", "ASF_PSEUDONYM_KEY": "k"}).production
