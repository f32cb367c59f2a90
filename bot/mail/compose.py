"""Compose a ticket's mail to staff: headers from clean values, bodies from templates."""

from __future__ import annotations

from datetime import timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.ticket import Ticket, message_id, subject_excerpt

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
