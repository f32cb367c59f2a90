"""`asf-bot run` keeps the bot up: a killed server comes back and visitors carry on.

One `asf-bot run` serves the whole module (starting Rasa takes a minute), with WEB_HOST
set to 0.0.0.0 as behind a reverse proxy on another machine: the web app must then be the
only server open beyond loopback, before and after its servers were killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from bot.runtime.settings import PROJECT_ROOT
from bot.storage.migrate import upgrade
from tests.conftest import free_port
from tests.integration.network import accepts, listening_addresses

TOKEN = "restart-test-token"
# How each server shows in its command line (python -m <module>).
MODULES = {
    "bot.runtime.action_server": "action server",
    "bot.runtime.rasa_server": "Rasa server",
    "bot.web": "web app",
    "bot.mail": "mail worker",
    "bot.mail.sink": "mail sink",
}
CALLS_ANSWER = "Just nu finns inga stöd att söka"


@dataclass
class Launched:
    """A running `asf-bot run`, what it printed so far and every server process it started."""

    process: subprocess.Popen[str]
    ports: dict[str, int]
    var_dir: Path
    database_url: str
    output: list[str] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)

    def printed(self) -> str:
        return "".join(self.output)

    def wait_for(self, text: str, after: int = 0, timeout: float = 300) -> int:
        """Wait until a line from index `after` on holds `text`; return the next index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, line in enumerate(self.output[after:], start=after):
                if text in line:
                    return index + 1
            assert self.process.poll() is None, f"asf-bot run stopped:\n{self.printed()}"
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never printed:\n{self.printed()[-4000:]}")

    def servers(self) -> dict[str, int]:
        """Return the pid of each server the launcher runs now."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        found = {}
        for child in map(int, children):
            try:
                argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue  # it has just exited
            if len(argv) > 2 and argv[1] == b"-m" and argv[2].decode() in MODULES:
                found[MODULES[argv[2].decode()]] = child
        self.seen |= set(found.values())
        return found


def read_lines(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


@pytest.fixture(scope="module")
def launched(trained_model, tmp_path_factory) -> Iterator[Launched]:
    var_dir = tmp_path_factory.mktemp("var")
    database_url = f"sqlite:///{var_dir / 'app.db'}"
    upgrade(database_url)
    ports = {name: free_port() for name in ("Rasa server", "action server", "web app", "mail sink")}
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RASA_TOKEN": TOKEN,
        "WEB_HOST": "0.0.0.0",
        "MAIL_POLL_SECONDS": "0.5",
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "bot", "run",
            "--rasa-port", str(ports["Rasa server"]),
            "--action-port", str(ports["action server"]),
            "--web-port", str(ports["web app"]),
            "--mail-port", str(ports["mail sink"]),
            "--model", str(trained_model),
            "--var-dir", str(var_dir),
            "--log-dir", str(var_dir / "logs"),
        ],
        cwd=PROJECT_ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    bot = Launched(process, ports, var_dir, database_url)
    reader = threading.Thread(target=read_lines, args=(process.stdout, bot.output), daemon=True)
    reader.start()
    try:
        bot.wait_for("Press Ctrl-C to stop.")
        yield bot
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=10)
        process.stdout.close()


def chat(bot: Launched, session: str, message: str) -> str:
    """Send a message through the web app, as the widget does; return the replies' text."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{bot.ports['web app']}/api/chat",
        data=json.dumps({"session": session, "message": message}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return " ".join(reply.get("text", "") for reply in json.load(response)["replies"])


def assert_only_the_web_app_is_open_beyond_loopback(bot: Launched) -> None:
    for name, port in bot.ports.items():
        expected = {"0.0.0.0"} if name == "web app" else {"127.0.0.1"}
        assert listening_addresses(port) == expected, name
        # 127.0.0.2 is loopback, but only a socket on every interface accepts there.
        assert accepts("127.0.0.2", port) == (name == "web app"), name
        assert accepts("127.0.0.1", port), name


def test_with_web_host_0_0_0_0_only_the_web_app_is_open_beyond_loopback(launched):
    assert_only_the_web_app_is_open_beyond_loopback(launched)
    assert set(launched.servers()) == set(MODULES.values())


def test_each_server_killed_comes_back_and_the_conversation_goes_on_where_it_was(launched):
    session = "restart-checklist-session-01"
    assert "Fråga 1 av 6" in chat(launched, session, "kan vi bli ett asf?")
    assert "Fråga 2 av 6" in chat(launched, session, "/affirm")
    question = 2
    position = len(launched.output)
    for name in ("action server", "Rasa server", "web app", "mail worker", "mail sink"):
        killed = launched.servers()[name]
        os.kill(killed, signal.SIGKILL)
        position = launched.wait_for(
            f"ASF-hjälpen: the {name} stopped unexpectedly (exit code -9, SIGKILL); "
            "starting it again in 1 s",
            after=position,
            timeout=30,
        )
        position = launched.wait_for(f"ASF-hjälpen: the {name} is back", after=position)
        assert launched.servers()[name] != killed

        # The visitor's next answer gets the next question, not a fresh start.
        question += 1
        reply = chat(launched, session, "/affirm")
        expected = f"Fråga {question} av 6" if question <= 6 else "Så här blev resultatet:"
        assert expected in reply, (name, reply)
        # A new visitor's question that needs a custom action (and the secret) is answered.
        assert CALLS_ANSWER in chat(
            launched, f"restart-new-visitor-{question:02}", "Vilka stöd kan jag söka?"
        )

    assert "Så här blev resultatet:" in reply
    assert "Organisatoriskt fristående: uppfyllt" in reply
    # Started again, every server listens where it did.
    assert_only_the_web_app_is_open_beyond_loopback(launched)


def test_the_mail_worker_and_sink_started_again_deliver_a_tickets_mail(launched):
    from sqlalchemy import create_engine

    from bot.services.tickets import TicketService
    from bot.storage.tickets import TicketRepository

    engine = create_engine(launched.database_url, future=True)
    service = TicketService(
        TicketRepository(engine), "test-key", "ASF-hjälpen <bot@example.se>", "staff@example.se"
    )
    ticket = service.create_ticket("Kan jag prata med en handläggare?", [], None, "restart-1")
    engine.dispose()
    mail = launched.var_dir / "mail" / f"{ticket.reference}.eml"
    deadline = time.monotonic() + 60
    while not mail.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert mail.exists(), f"{mail} was not written"


def test_the_action_servers_secret_is_on_no_command_line_and_in_no_output(launched):
    endpoints = yaml.safe_load((launched.var_dir / "endpoints.yml").read_text(encoding="utf-8"))
    header = endpoints["action_endpoint"]["headers"]["Authorization"]
    secret = header.removeprefix("Bearer ")
    assert header.startswith("Bearer ") and len(secret) >= 32
    for pid in launched.servers().values():
        assert secret.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    for log in (launched.var_dir / "logs").glob("*.log"):
        assert secret not in log.read_text(encoding="utf-8", errors="replace"), log.name
    assert secret not in launched.printed()


def test_ctrl_c_stops_every_server_the_restarted_ones_included(launched):
    launched.servers()
    assert len(launched.seen) >= len(MODULES) + 5  # the first ones and the restarted ones
    launched.process.send_signal(signal.SIGINT)
    assert launched.process.wait(timeout=60) == 0
    for pid in launched.seen:
        # Each server led a process group of its own: nothing of any is left.
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    for name, port in launched.ports.items():
        assert not accepts("127.0.0.1", port), f"the {name}'s port {port} is still open"
