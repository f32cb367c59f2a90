from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings


def test_content_is_read_from_the_project_by_default():
    assert Settings.from_env({}).content_dir == PROJECT_ROOT / "content"


def test_the_content_folder_can_be_moved_by_environment():
    settings = Settings.from_env({"ASF_CONTENT_DIR": "/srv/asf/content"})
    assert settings.content_dir == Path("/srv/asf/content")
