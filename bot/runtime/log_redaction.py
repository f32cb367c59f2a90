"""Redact every log record of a process: e-mail addresses, personnummer, phone numbers.

Each process installs it at start: the Rasa server through its logging configuration
file (bot/runtime/rasa_logging.yml, passed with --logging-config-file), the action server
(bot.runtime.action_server), the web app and the command line. It works on the records
themselves, so it holds whatever handlers Rasa, Sanic, rasa_sdk or coloredlogs add later.
"""

from __future__ import annotations

import logging
import traceback

from bot.domain.redaction import redact

_MARK = "_asf_redacting"


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Replace the record's message, exception and stack text with redacted text."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the line, nor leak its arguments
        message = str(record.msg)
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the records passing through it (and drops none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Redact every log record this process creates from now on (safe to call twice)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MARK, False):
        return

    def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return redact_record(factory(*args, **kwargs))

    setattr(redacting_factory, _MARK, True)
    logging.setLogRecordFactory(redacting_factory)


def process_filter() -> RedactingFilter:
    """Install redaction for the whole process and return the filter.

    The factory a logging configuration file names (`()`): Rasa replaces the handlers a
    file configures with its own, so the filter alone would not last.
    """
    install()
    return RedactingFilter()
