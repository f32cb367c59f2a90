"""The demo page and the privacy page say only what the agency page says."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from bot.runtime.settings import Settings
from bot.web.app import create_app

PRIVACY_STATEMENT = (
    "Om du fyller i din e-postadress sparas den hos Tillväxtverket, och det är vi som "
    "ansvarar för denna uppgift. Vi sparar e-postadressen endast för att kunna svara dig om "
    "du har en fråga. Läs mer om hur vi behandlar personuppgifter på "
    "tillvaxtverket.se/personuppgifter."
)


def normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([.,])", r"\1", text).strip()


class MainText(HTMLParser):
    """The text of each paragraph, list item and heading inside <main>."""

    BLOCKS = frozenset({"p", "li", "h1", "h2"})

    def __init__(self) -> None:
        super().__init__()
        self.in_main = False
        self.current: list[str] | None = None
        self.blocks: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.in_main = True
        elif self.in_main and tag in self.BLOCKS:
            self.current = []
        elif self.in_main and tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False
        elif tag in self.BLOCKS and self.current is not None:
            self.blocks.append(normalise("".join(self.current)))
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)
        if self._href is not None:
            self.links.append((self._href, data))
            self._href = None


@pytest.fixture
async def client(aiohttp_client):
    return await aiohttp_client(create_app(Settings(rasa_url="http://127.0.0.1:9")))


async def main_text(client, path: str) -> MainText:
    parser = MainText()
    parser.feed(await (await client.get(path)).text())
    return parser


async def test_every_sentence_on_the_demo_page_is_quoted_from_the_agency_page(client, source_page):
    page = await main_text(client, "/")
    source = normalise(source_page)
    assert len(page.blocks) > 20
    for block in page.blocks:
        assert block in source, block


async def test_the_privacy_page_quotes_the_statement_word_for_word_and_links_it(
    client, source_page
):
    page = await main_text(client, "/integritet")
    assert PRIVACY_STATEMENT in normalise(source_page)
    assert PRIVACY_STATEMENT in page.blocks
    assert (
        "https://tillvaxtverket.se/personuppgifter",
        "tillvaxtverket.se/personuppgifter",
    ) in page.links
