"""A local SMTP sink for development: every mail it receives becomes a file in var/mail/."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import threading
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.runtime.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

_REFERENCE = re.compile(r"ASF-\d{4}-\d{6,}")
_DIGEST = re.compile(r"digest-\d{4}-W\d{2}")


def file_stem(content: bytes) -> str:
    """Return the file name's stem: the ticket reference or the digest's week, if named."""
    message = message_from_bytes(content, policy=default)
    digest = _DIGEST.fullmatch(str(message.get("X-ASF-Digest", "")))
    if digest:
        return digest.group(0)
    match = _REFERENCE.search(str(message.get("X-ASF-Ticket", "") or message.get("Subject", "")))
    return match.group(0) if match else "mail"


class MailDirHandler:
    """aiosmtpd handler that writes each mail, as received, to <folder>/<reference>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, content: bytes) -> Path:
        """Write one mail to a new file (never over an earlier one); return its path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = file_stem(content)
        for n in range(1, 10_000):
            path = self.folder / (f"{stem}.eml" if n == 1 else f"{stem}-{n}.eml")
            try:
                with path.open("xb") as file:
                    file.write(content)
                return path
            except FileExistsError:
                continue
        raise RuntimeError(f"too many mails named {stem} in {self.folder}")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        path = self.write(envelope.original_content or b"")
        # The file name only: never the addresses or the text of the mail.
        log.info("Staff mail written to %s", path)
        return "250 Message accepted for delivery"


def start_sink(folder: Path, host: str, port: int) -> Controller:
    """Start the sink in a thread of its own; the caller stops it with .stop()."""
    controller = Controller(MailDirHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    """Run the sink until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m bot.mail.sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / "var" / "mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # aiosmtpd logs every envelope address at INFO: keep only its warnings and errors.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    controller = start_sink(args.dir, args.host, args.port)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
