from pathlib import Path

import pytest

from bot.web.messages import load_messages


def test_the_unreachable_message_is_the_one_visitors_are_promised():
    messages = load_messages()
    assert (
        messages.unreachable.format(phone="08-681 9223")
        == "Chatten går inte att nå just nu. Försök igen, eller ring 08-681 9223."
    )


def test_a_missing_message_fails_at_start(tmp_path: Path):
    path = tmp_path / "messages.yml"
    path.write_text("empty: Skriv en fråga först.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unreachable"):
        load_messages(path)
