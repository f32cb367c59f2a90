from bot.runtime.chat import render


def test_replies_are_shown_with_numbered_buttons_that_remember_their_payloads():
    text, payloads = render(
        [
            {"text": "Hej!", "buttons": [{"title": "Villkor", "payload": "/conditions"}]},
            {"text": "Vad vill du veta?"},
        ]
    )
    assert text == "bot> Hej!\n     [1] Villkor\nbot> Vad vill du veta?"
    assert payloads == ["/conditions"]
