"""The demo page and the privacy page say only what the agency page says."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest
import yaml

from bot.runtime.settings import PROJECT_ROOT, Settings
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


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each element id'd."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in {"input", "link", "meta", "br", "img"}:
            self._open.append(attributes.get("id") or "")

    def handle_endtag(self, tag):
        if tag not in {"input", "link", "meta", "br", "img"} and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text.setdefault(element_id, []).append(data)

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and all(attrs.get(k.replace("_", "-")) == v for k, v in wanted.items())
        ]


async def elements(client, path: str) -> Elements:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "text/html"
    parser = Elements()
    parser.feed(await response.text())
    return parser


@pytest.mark.parametrize("path", ["/", "/integritet", "/radgivning"])
async def test_every_page_links_the_counselling_view_from_its_footer(client, path):
    html = await (await client.get(path)).text()
    footer = html[html.index("<footer") : html.index("</footer>")]
    assert re.search(r'<a href="/radgivning"[^>]*>För rådgivare</a>', footer)


async def test_the_counselling_view_shows_the_widget_inline_beside_the_criteria(client):
    page = await elements(client, "/radgivning")
    [widget] = [
        attrs
        for tag, attrs in page.tags
        if tag == "script" and "widget.js" in (attrs.get("src") or "")
    ]
    assert widget["data-mode"] == "inline"
    assert page.find("div", id=widget["data-container"]), "the chat's container is missing"
    assert page.find("script", src="/static/radgivning.js")
    assert page.find("link", rel="stylesheet", href="/static/radgivning.css")
    assert page.find("section", id="criteria", aria_labelledby="criteria-title")
    assert "".join(page.text["criteria-title"]) == "Villkoren"
    assert page.find("div", id="criteria-live", aria_live="polite")
    assert page.find("a", href="/radgivning", aria_current="page")
    assert len(page.find("h1")) == 1


async def test_the_summary_buttons_post_the_session_in_the_body_not_the_url(client):
    page = await elements(client, "/radgivning")
    forms = {attrs["action"]: attrs for attrs in page.find("form")}
    assert forms["/radgivning/sammanfattning"]["method"] == "post"
    # A named tab, which the page closes when the meeting ends.
    assert forms["/radgivning/sammanfattning"]["target"] == "asf-sammanfattning"
    assert forms["/radgivning/sammanfattning.pdf"]["method"] == "post"
    assert len(page.find("input", type="hidden", name="session")) == 2
    html = await (await client.get("/radgivning")).text()
    for label in ("Sammanfattning", "Ladda ner PDF", "Skicka till mig", "Avsluta och rensa"):
        assert re.search(rf"<button[^>]*>{label}", html), label


async def test_the_end_of_a_meeting_asks_first_and_says_what_is_deleted(client):
    page = await elements(client, "/radgivning")
    [end] = page.find("button", id="end-meeting")
    assert end["data-confirm-title"] == "Avsluta och rensa?"
    assert "Det går inte att ångra." in end["data-confirm-text"]
    assert end["data-confirm"] == "Ja, avsluta och rensa"


EN_STATEMENT = (
    "If you fill in your e-mail address, it is stored by Tillväxtverket, and we are "
    "responsible for this information. We store the e-mail address only so that we can "
    "answer you if you have a question. Read more about how we process personal data at "
    "tillvaxtverket.se/personuppgifter."
)
LATTLAST_STATEMENT = (
    "Tillväxtverket sparar din e-postadress.\nLäs mer på tillvaxtverket.se/personuppgifter."
)


@pytest.fixture
async def translated_client(aiohttp_client, tmp_path):
    """The web app with content whose privacy.yml has the English and lättläst statements."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    privacy = yaml.safe_load((content / "privacy.yml").read_text(encoding="utf-8"))
    privacy.setdefault("en", {})["statement"] = (
        f"{EN_STATEMENT}\nThe Swedish text applies:\n{{swedish}}"
    )
    privacy.setdefault("lattlast", {})["statement"] = LATTLAST_STATEMENT
    (content / "privacy.yml").write_text(yaml.safe_dump(privacy, allow_unicode=True), "utf-8")
    settings = Settings(rasa_url="http://127.0.0.1:9", content_dir=content)
    return await aiohttp_client(create_app(settings))


async def test_the_privacy_page_gives_the_bots_english_and_lattlast_statements_below(
    translated_client,
):
    page = await main_text(translated_client, "/integritet")
    assert page.blocks[:2] == ["Behandling av personuppgifter", PRIVACY_STATEMENT]
    # The Swedish text applies: it follows the English one again, word for word.
    assert page.blocks[2:] == [
        "Lättläst",
        normalise(LATTLAST_STATEMENT),
        "In English",
        EN_STATEMENT,
        "The Swedish text applies:",
        PRIVACY_STATEMENT,
    ]
    assert (
        page.links.count(
            ("https://tillvaxtverket.se/personuppgifter", "tillvaxtverket.se/personuppgifter")
        )
        == 4
    )
    html = await (await translated_client.get("/integritet")).text()
    assert '<section class="statement-variant" lang="en" aria-labelledby="in-english">' in html
    assert '<h2 id="lattlast">Lättläst</h2>' in html
    assert "Lättläst: Tillväxtverket sparar din e-postadress.\nLäs mer" not in html
    assert "Tillväxtverket sparar din e-postadress.\nLäs mer på <a" in html


async def test_without_translations_the_privacy_page_has_the_swedish_statement_only(
    aiohttp_client, tmp_path
):
    content = tmp_path / "content"
    content.mkdir()
    (content / "privacy.yml").write_text("statement: Svensk text.\n", encoding="utf-8")
    settings = Settings(rasa_url="http://127.0.0.1:9", content_dir=content)
    client = await aiohttp_client(create_app(settings))
    page = await main_text(client, "/integritet")
    assert page.blocks == ["Behandling av personuppgifter", PRIVACY_STATEMENT]
