"""The mail staff receive for a ticket, as a real SMTP server (aiosmtpd) receives it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.domain.ticket import TicketError
from bot.storage.tables import outbox, tickets
from tests.integration.conftest import SENDER, STAFF, Desk


async def delivered(desk: Desk, **ticket_options):
    ticket = desk.ticket(**ticket_options)
    assert await desk.worker().deliver_due() == 1
    [mail] = desk.smtp.received
    return ticket, mail


async def test_staff_get_the_question_time_turns_and_reference_in_text_and_html(desk):
    question = "Vi är fem som vill starta ett kooperativ.\nMåste alla vara anställda?"
    ticket, mail = await delivered(
        desk,
        question=question,
        turns=[("user", "vad är ett asf?"), ("bot", "Ett ASF driver näringsverksamhet.")],
    )
    assert re.fullmatch(r"ASF-2026-\d{6}", ticket.reference)
    assert (mail.mail_from, mail.rcpt_tos) == ("asf-hjalpen@example.se", [STAFF])
    message = mail.message
    assert message["To"] == STAFF
    assert message["From"] == SENDER
    excerpt = "Vi är fem som vill starta ett kooperativ. Måste alla vara…"
    assert message["Subject"] == f"[{ticket.reference}] {excerpt}"
    text = message.get_body("plain").get_content()
    html = message.get_body("html").get_content()
    for body in (text, html):
        assert ticket.reference in body
        assert "2026-11-28 10:30" in body  # 09:30 UTC, in Swedish time
        assert "Ett ASF driver näringsverksamhet." in body
        assert "vad är ett asf?" in body
    assert question in text.replace("\r\n", "\n")
    assert "Måste alla vara anställda?" in html


async def test_swedish_letters_arrive_intact_in_subject_body_and_sender(desk):
    _, mail = await delivered(desk, question="Får en förening äga ett ASF? Åsa, Örebro")
    message = mail.message
    assert "Får en förening äga ett ASF? Åsa, Örebro" in message["Subject"]
    assert message["From"].addresses[0].display_name == "ASF-hjälpen"
    for part in ("plain", "html"):
        body = message.get_body(part)
        assert body.get_content_charset() == "utf-8"
        assert "Får en förening äga ett ASF? Åsa, Örebro" in body.get_content()
    # 7-bit on the wire: no relay can mangle the letters.
    assert all(byte < 128 for byte in mail.raw)


async def test_reply_to_is_the_visitors_address_only_when_given(desk):
    _, with_address = await delivered(desk, reply_to="anna.berg@example.com")
    assert with_address.message["Reply-To"] == "anna.berg@example.com"
    assert "anna.berg@example.com" in with_address.message.get_body("plain").get_content()
    desk.smtp.received.clear()
    _, without = await delivered(desk, reply_to=None)
    assert without.message["Reply-To"] is None
    assert "ingen e-postadress" in without.message.get_body("plain").get_content()


@pytest.mark.parametrize(
    "address",
    ["anna@example.com\r\nBcc: spy@example.com", "Anna <anna@example.com>", "a@b.se, c@d.se", "x"],
)
def test_a_reply_address_that_is_not_one_plain_address_is_refused(desk, address):
    with pytest.raises(TicketError):
        desk.ticket(reply_to=address)
    assert desk.repository.statuses() == []


INJECTIONS = [
    "Hej\r\nBcc: spy@example.com\r\n\r\nfalsk text",
    "Hej\nBcc: spy@example.com",
    "Hej\rTo: spy@example.com",
    "Hej\u2028Bcc: spy@example.com\u0085Cc: x@example.com",
    "Hej\x00\x1b[31m\tSubject: falsk",
    "Hej " + "a" * 5000 + "\nBcc: spy@example.com",
    "Hej =?utf-8?q?Bcc=3A_spy=40example=2Ecom?=",
]


@pytest.mark.parametrize("question", INJECTIONS)
async def test_whatever_the_visitor_types_adds_no_header(desk, question):
    ticket, mail = await delivered(desk, question=question)
    message = mail.message
    assert sorted(message.keys()) == sorted(
        ["Subject", "From", "To", "Date", "Message-ID", "X-ASF-Ticket", "MIME-Version",
         "Content-Type"]
    )  # fmt: skip
    assert mail.rcpt_tos == [STAFF]
    subject = message["Subject"]
    assert subject.startswith(f"[{ticket.reference}] ")
    if "=?" in question:  # not even as an encoded word that mail programs decode
        assert "Bcc: spy" not in subject
    assert "\n" not in subject and "\r" not in subject and "\x00" not in subject
    assert len(subject) <= len(ticket.reference) + 3 + 60
    # Every header line on the wire is short, so no server folds or splits it.
    header_block = mail.raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in header_block.split(b"\r\n")) <= 998


async def test_the_visitors_text_never_becomes_markup_in_the_html_body(desk):
    _, mail = await delivered(
        desk,
        question='<script>alert("x")</script> <a href="http://evil">klicka</a>',
        turns=[("user", "<img src=x onerror=alert(1)>")],
    )
    html = mail.message.get_body("html").get_content()
    assert "<script>" not in html and "<a href" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_staff_see_only_the_last_turns_of_a_long_conversation(desk):
    turns = [("user" if n % 2 else "bot", f"replik nummer {n}") for n in range(30)]
    _, mail = await delivered(desk, turns=turns)
    text = mail.message.get_body("plain").get_content()
    assert "replik nummer 29" in text and "replik nummer 20" in text
    assert "replik nummer 19" not in text


async def test_every_ticket_has_its_own_stable_message_id(desk):
    first = desk.ticket()
    second = desk.ticket()
    assert first.reference != second.reference
    await desk.worker().deliver_due()
    ids = [mail.message["Message-ID"] for mail in desk.smtp.received]
    assert len(set(ids)) == 2
    assert all(i.startswith("<ASF-2026-") and i.endswith("@example.se>") for i in ids)


async def test_a_withdrawn_address_leaves_the_mail_before_it_is_sent(desk):
    question = "Får vi starta? Mejla anna.berg@example.com eller ring 070-123 45 67.\nÅsa"
    ticket = desk.ticket(question=question, reply_to="anna.berg@example.com")
    before = desk.repository.statuses()[0]
    withdrawal = desk.repository.withdraw_address_in(ticket.conversation_ref)
    assert (withdrawal.unsent, withdrawal.sent) == (1, 0)

    assert await desk.worker().deliver_due() == 1
    [mail] = desk.smtp.received
    message = mail.message
    assert message["Reply-To"] is None
    assert "anna.berg" not in mail.raw.decode("ascii").lower()
    # Staff still get the question (the address taken out of it), the turns, the
    # reference, and are told why there is no address; the mail is the same ticket's.
    assert message["Subject"].startswith(f"[{ticket.reference}] Får vi starta?")
    for part in ("plain", "html"):
        body = message.get_body(part).get_content().replace("\r\n", "\n")
        assert "Mejla [e-postadress] eller ring 070-123 45 67." in body
        assert "Besökaren har tagit tillbaka sin e-postadress" in body
        assert "Hej! Vad undrar du över?" in body and ticket.reference in body
    assert message["X-ASF-Ticket"] == ticket.reference
    assert desk.repository.statuses()[0].created_at == before.created_at
    assert message["Message-ID"].startswith(f"<{ticket.reference}.")


async def test_a_withdrawn_address_leaves_the_stored_copy_of_a_mail_already_sent(desk):
    ticket = desk.ticket(reply_to="anna.berg@example.com")
    assert await desk.worker().deliver_due() == 1
    [sent] = desk.smtp.received
    withdrawal = desk.repository.withdraw_address_in(ticket.conversation_ref)
    assert (withdrawal.unsent, withdrawal.sent) == (0, 1)
    assert desk.repository.with_address_in(ticket.conversation_ref) == []
    with desk.engine.connect() as connection:
        row = connection.execute(
            select(tickets.c.reply_to, outbox.c.message, outbox.c.status).join(
                outbox, outbox.c.ticket_id == tickets.c.id
            )
        ).one()
    assert row.reply_to is None and row.status == "sent"
    assert b"anna.berg" not in bytes(row.message)
    assert f"Message-ID: {sent.message['Message-ID']}".encode() in bytes(row.message)
