"""Compose a ticket's mail to staff: headers from clean values, bodies from templates."""

from __future__ import annotations

import html
import re
from datetime import timezone
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.domain.redaction import EMAIL_PLACEHOLDER
from bot.domain.ticket import Ticket, address_forms, address_pattern, message_id, subject_excerpt

TEMPLATES = Path(__file__).resolve().parent / "templates"

try:
    from zoneinfo import ZoneInfo

    # Staff read times in Swedish local time.
    STAFF_TIMEZONE = ZoneInfo("Europe/Stockholm")
except Exception:  # a machine without time zone data: UTC, labelled as such
    STAFF_TIMEZONE = timezone.utc


def _environment() -> Environment:
    # Autoescape the HTML body: the visitor's text must never become markup.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def address_domain(mail_from: str) -> str:
    """Return the domain of the sender's address, for Message-IDs."""
    _, address = parseaddr(mail_from)
    return address.rpartition("@")[2] or "localhost"


def compose(ticket: Ticket, mail_from: str, staff_email: str) -> EmailMessage:
    """Return the mail that tells staff about the ticket (plain text and HTML, UTF-8)."""
    local_time = ticket.created_at.astimezone(STAFF_TIMEZONE)
    context = {
        "reference": ticket.reference,
        "time": local_time.strftime("%Y-%m-%d %H:%M %Z"),
        "question": ticket.question,
        "turns": ticket.turns,
        "reply_to": ticket.reply_to,
        "withdrawn": False,
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
    # Quoted-printable keeps the mail 7-bit clean for any relay, and å, ä, ö intact.
    message.set_content(
        environment.get_template("staff_mail.txt").render(context),
        charset="utf-8",
        cte="quoted-printable",
    )
    message.add_alternative(
        environment.get_template("staff_mail.html").render(context),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
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
