"""Compose the bot's mail: a ticket's to staff, a counselling summary to the founder.
Headers from clean values, bodies from templates."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from bot.domain.redaction import EMAIL_PLACEHOLDER
from bot.domain.summary_mail import summary_filename, summary_message_id
from bot.domain.ticket import Ticket, address_forms, address_pattern, message_id, subject_excerpt
from bot.domain.variants import Variant

TEMPLATES = Path(__file__).resolve().parent / "templates"

try:
    from zoneinfo import ZoneInfo

    # Staff read times in Swedish local time.
    STAFF_TIMEZONE = ZoneInfo("Europe/Stockholm")
except Exception:  # a machine without time zone data: UTC, labelled as such
    STAFF_TIMEZONE = timezone.utc


def lines(text: object) -> Markup:
    """Return a text escaped, its line breaks as <br> (lättläst texts break at phrases)."""
    return Markup("<br>\n").join(escape(line) for line in str(text).split("\n"))


def _environment() -> Environment:
    # Autoescape the HTML body: the visitor's text must never become markup.
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["lines"] = lines
    return environment


def _set_bodies(
    message: EmailMessage, environment: Environment, template: str, context: dict[str, object]
) -> None:
    """Give `message` its plain-text and HTML bodies from `template`.txt and .html."""
    # Quoted-printable keeps the mail 7-bit clean for any relay, and å, ä, ö intact.
    message.set_content(
        environment.get_template(f"{template}.txt").render(context),
        charset="utf-8",
        cte="quoted-printable",
    )
    message.add_alternative(
        environment.get_template(f"{template}.html").render(context),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )


def address_domain(mail_from: str) -> str:
    """Return the domain of the sender's address, for Message-IDs."""
    _, address = parseaddr(mail_from)
    return address.rpartition("@")[2] or "localhost"


# What the staff mail says (in Swedish, for staff) about a conversation not in plain Swedish.
LANGUAGE_NOTES = {
    Variant.SV: "",
    Variant.EN: "Samtalet var på engelska. Frågan står som besökaren skrev den.",
    Variant.LATTLAST: "Samtalet var på lättläst svenska: besökaren valde att få enkla svar.",
}


def compose(
    ticket: Ticket, mail_from: str, staff_email: str, variant: Variant = Variant.SV
) -> EmailMessage:
    """Return the mail that tells staff about the ticket (plain text and HTML, UTF-8).

    A conversation in English or in lättläst gets a note saying so, in Swedish; the
    question is always as the visitor wrote it.
    """
    local_time = ticket.created_at.astimezone(STAFF_TIMEZONE)
    context = {
        "reference": ticket.reference,
        "time": local_time.strftime("%Y-%m-%d %H:%M %Z"),
        "question": ticket.question,
        "turns": ticket.turns,
        "reply_to": ticket.reply_to,
        "withdrawn": False,
        "language_note": LANGUAGE_NOTES[Variant(variant)],
        # The question and the turns are in the conversation's language (HTML lang).
        "conversation_lang": "en" if variant == Variant.EN else "sv",
    }
    environment = _environment()
    message = EmailMessage()
    # Every header value is one clean line: the subject's excerpt has no control
    # characters, and reply_to was checked to be a single plain address.
    message["Subject"] = f"[{ticket.reference}] {subject_excerpt(ticket.question)}"
    message["From"] = mail_from
    message["To"] = staff_email
    if ticket.reply_to:
        username, _, domain = ticket.reply_to.rpartition("@")
        message["Reply-To"] = Address(username=username, domain=domain)
    message["Date"] = format_datetime(ticket.created_at.astimezone(timezone.utc))
    message["Message-ID"] = message_id(ticket, address_domain(mail_from))
    message["X-ASF-Ticket"] = ticket.reference
    _set_bodies(message, environment, "staff_mail", context)
    return message


class Contact(Protocol):
    """Whom the founder can call or write to (content/contacts.yml)."""

    name: str
    organisation: str
    phone: str
    email: str


@dataclass(frozen=True)
class SummaryMail:
    """What a counselling summary's mail to the founder says, and its attachment."""

    reference: str
    created_at: datetime
    # The day of the meeting, as the summary is dated.
    day: date
    pdf: bytes
    # One plain address in ASCII (bot.domain.ticket.clean_reply_to): the To header.
    mail_to: str
    mail_from: str
    disclaimer: str
    # When the address given for it is deleted at the latest.
    retain_until: date
    contact: Contact
    # The mail's texts in the conversation's variant (content/counselling.yml `mail`), with
    # placeholders; and the language they are in, for the HTML's lang attribute.
    texts: Mapping[str, str]
    language: str = "sv"


def compose_summary(mail: SummaryMail) -> EmailMessage:
    """Return the founder's mail with the summary's PDF attached (text and HTML, UTF-8)."""
    filename = summary_filename(mail.day)
    values = {
        "date": f"{mail.day:%Y-%m-%d}",
        "filename": filename,
        "retain_until": f"{mail.retain_until:%Y-%m-%d}",
        "name": mail.contact.name,
        "organisation": mail.contact.organisation,
        "phone": mail.contact.phone,
        "email": mail.contact.email,
    }
    context = {
        **values,
        "disclaimer": mail.disclaimer,
        "contact": mail.contact,
        "language": mail.language,
        "texts": {key: text.format(**values) for key, text in mail.texts.items()},
    }
    environment = _environment()
    message = EmailMessage()
    message["Subject"] = environment.get_template("summary_subject.txt").render(context).strip()
    message["From"] = mail.mail_from
    username, _, domain = mail.mail_to.rpartition("@")
    message["To"] = Address(username=username, domain=domain)
    message["Date"] = format_datetime(mail.created_at.astimezone(timezone.utc))
    message["Message-ID"] = summary_message_id(mail.reference, address_domain(mail.mail_from))
    message["X-ASF-Summary"] = mail.reference
    _set_bodies(message, environment, "summary_mail", context)
    message.add_attachment(mail.pdf, maintype="application", subtype="pdf", filename=filename)
    return message


def _address_pattern(address: str, escape_html: bool) -> re.Pattern[str]:
    forms = address_forms(address)
    if escape_html:
        forms |= {html.escape(form) for form in forms}
    return address_pattern(forms)


def without_reply_to(raw: bytes, address: str) -> bytes:
    """Return a stored staff mail rebuilt without the visitor's address `address`.

    For a visitor who withdrew the address: no Reply-To, the reply line says so, and the
    address is gone wherever else it stood (the visitor may have typed it in the
    question). Message-ID, Date and everything else stay, so a mail sent later is still
    the same ticket's mail.
    """
    message = message_from_bytes(raw, policy=SMTP)
    del message["Reply-To"]
    subject = message["Subject"]
    if subject is not None:
        message.replace_header(
            "Subject", _address_pattern(address, False).sub(EMAIL_PLACEHOLDER, str(subject))
        )
    environment = _environment()
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        subtype = part.get_content_subtype()
        line = environment.get_template(f"reply_line.{'html' if subtype == 'html' else 'txt'}")
        content = part.get_content().replace(
            line.render(reply_to=address, withdrawn=False),
            line.render(reply_to=None, withdrawn=True),
        )
        content = _address_pattern(address, subtype == "html").sub(EMAIL_PLACEHOLDER, content)
        # MIMEPart's own set_content: EmailMessage's would add a MIME-Version to the part.
        MIMEPart.set_content(
            part, content, subtype=subtype, charset="utf-8", cte="quoted-printable"
        )
    return message.as_bytes(policy=SMTP)
