"""The scale path for real: HAProxy in front of Rasa, action-server and web-app replicas,
with mail workers, all on the machine's PostgreSQL and Redis (`asf-bot cluster`).

Each test talks to the cluster as visitors do, through HAProxy, or straight to the
replicas where it must choose which one takes a message. What one machine answers is
the yardstick: the same conversation is first held with the one-machine default
(SQLite, in-memory lock store) and every conversation through the cluster must get the
same answers.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.domain.redaction import EMAIL_PLACEHOLDER
from bot.runtime.cluster import (
    ClusterConfig,
    Replicas,
    haproxy_binary,
    haproxy_stats,
    running_cluster,
)
from bot.runtime.launcher import LaunchError, Supervisor
from tests.conftest import (
    POSTGRES_URL,
    free_port,
    free_port_run,
    postgres_available,
    running_bot,
)
from tests.integration.smtp import SmtpTestServer

TOKEN = "cluster-test-token"
REFERENCE = re.compile(r"ASF-\d{4}-\d{6}")
# The web app's two answers that offer a retry: Rasa could not be reached, or it handled
# the message without an answer to show (an action's server died midway).
RETRY_OFFERED = (
    "Chatten går inte att nå just nu. Försök igen",
    "Jag kunde inte svara på det just nu. Försök igen",
)

# A conversation as a founder holds it: facts, the whole checklist with one answer
# changed after the result, a question handed to staff with an address given with
# consent, and a fact again. `{address}` is filled in for each visitor.
CONVERSATION = [
    "Vad är ett ASF?",
    "starta checklistan",
    "/affirm",
    "/affirm",
    "/affirm",
    "/deny",
    "/affirm",
    "/affirm",
    "jag svarade fel på frågan om vinsten",
    "/affirm",
    "Vilka stöd kan jag söka?",
    "det hjälpte inte",
    "Ja",
    "Vi är fyra i Luleå som vill starta ett café. Hur skriver vi stadgarna?",
    "/affirm",
    "{address}",
    "Hur många måste vara anställda i ett ASF?",
]
# Questions whose answers do not depend on what came before, for bursts.
FACTS = [
    "Vad är ett ASF?",
    "Vilka stöd kan jag söka?",
    "Hur många måste vara anställda i ett ASF?",
    "Vem kan jag kontakta?",
    "Vad betyder arbetsintegrerande?",
]


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _missing() -> str | None:
    """Why the scale path cannot be tested on this machine, or None."""
    try:
        haproxy_binary()
    except LaunchError:
        return "HAProxy is not installed (make test installs it from Debian's packages)"
    if not postgres_available():
        return "PostgreSQL is not running on 127.0.0.1:5432"
    if not _redis_answers():
        return "Redis is not running on 127.0.0.1:6379"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@dataclass
class Cluster:
    config: ClusterConfig
    supervisor: Supervisor
    smtp: SmtpTestServer
    database_url: str


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL database of its own, for the app tables and Rasa's conversations."""
    name = f"asf_cluster_{uuid.uuid4().hex[:12]}"
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(free_port())
    server.start()
    yield server
    server.stop()


def _shared_environment(smtp: SmtpTestServer, content_dir: Path) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "MAIL_POLL_SECONDS": "0.2",
        "STAFF_EMAIL": "asf-handlaggare@example.se",
        "ASF_PSEUDONYM_KEY": "cluster-test-key",
        "ASF_CONTENT_DIR": str(content_dir),
        # Visitors here type faster than people: no conversation may hit the rate limit.
        "RATE_LIMIT_BURST": "200",
        "RATE_LIMIT_PER_MINUTE": "600",
    }


@pytest.fixture(scope="module")
def content_dir(tmp_path_factory) -> Path:
    from bot.runtime.settings import PROJECT_ROOT

    folder = tmp_path_factory.mktemp("content")
    for path in (PROJECT_ROOT / "content").iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


@pytest.fixture(scope="module")
def one_machine(trained_model, content_dir, tmp_path_factory) -> list[list[str]]:
    """What the one-machine default answers to CONVERSATION, message by message."""
    smtp = SmtpTestServer(free_port())
    smtp.start()
    var_dir = tmp_path_factory.mktemp("one-machine")
    try:
        with running_bot(
            trained_model, var_dir, TOKEN, env=_shared_environment(smtp, content_dir)
        ) as supervisor:
            return converse(supervisor.config.web_url, "reference")
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def cluster(trained_model, database, smtp, content_dir, tmp_path_factory) -> Iterator[Cluster]:
    var_dir = tmp_path_factory.mktemp("cluster")
    config = ClusterConfig(
        replicas=Replicas(rasa=2, action=2, web=2, mail=2),
        web_port=free_port(),
        rasa_port=free_port(),
        action_port=free_port(),
        rasa_ports=(free_port(), free_port()),
        action_ports=(free_port(), free_port()),
        web_ports=(free_port(), free_port()),
        database_url=database,
        tracker_store_url=database,
        redis_url="redis://127.0.0.1:6379/0",
        model=trained_model,
        var_dir=var_dir,
        log_dir=var_dir / "logs",
        token=TOKEN,
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _shared_environment(smtp, content_dir).items():
            patch.setenv(name, value)
        with running_cluster(config) as supervisor:
            yield Cluster(config, supervisor, smtp, database)


def session_id(name: str) -> str:
    """A session id of the widget's shape, unique to this run."""
    return f"{name}-{uuid.uuid4().hex}"[:64].replace(".", "-")


def post(url: str, payload: dict, timeout: float = 60) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def chat(web_url: str, session: str, message: str) -> tuple[int, dict]:
    """Send one message as the widget does: through the web app's chat proxy."""
    return post(f"{web_url}/api/chat", {"session": session, "message": message})


def reply_texts(body: dict) -> list[str]:
    return [reply["text"] for reply in body.get("replies", []) if reply["text"]]


def normalised(answers: list[str]) -> list[str]:
    """Answers with what differs between visitors (ticket numbers) made alike."""
    return [REFERENCE.sub("ASF-ÅÅÅÅ-NNNNNN", answer) for answer in answers]


def converse(web_url: str, name: str) -> list[list[str]]:
    """Hold CONVERSATION through `web_url`; return each message's answers."""
    session = session_id(name)
    answers = []
    for message in CONVERSATION:
        status, body = chat(web_url, session, message.format(address=f"{name}@exempel.se"))
        assert status == 200, (message, status, body)
        answers.append(normalised(reply_texts(body)))
    return answers


def tracker(cluster: Cluster, sender: str) -> dict:
    """The conversation as Rasa stored it, read through HAProxy's rasa frontend."""
    url = f"{cluster.config.rasa_url}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def user_texts(events: list[dict]) -> list[str]:
    return [event["text"] for event in events if event["event"] == "user"]


def turns_are_whole(events: list[dict]) -> bool:
    """True when each message was handled to its end before the next one began.

    Every user message is followed by the bot's actions, ending in action_listen, before
    the next user message; two messages handled at once interleave their events.
    """
    listening = True
    for event in events:
        if event["event"] == "user":
            if not listening:
                return False
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True
    return listening


def requests_per_server(cluster: Cluster, backend: str) -> dict[str, int]:
    rows = haproxy_stats(cluster.config.stats_socket)
    return {
        row["svname"]: int(row["stot"])
        for row in rows
        if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
    }


def test_the_reference_conversation_is_a_real_one(one_machine):
    # The yardstick itself must be right, or comparing with it proves nothing.
    said = [" ".join(answers) for answers in one_machine]
    assert "driver näringsverksamhet" in said[0]
    assert "Vinsterna återinvesteras: inte uppfyllt" in said[7]
    assert "Vinsterna återinvesteras: uppfyllt" in said[9]
    assert "Om du fyller i din e-postadress sparas den hos Tillväxtverket" in said[13]
    assert "Ditt ärendenummer är ASF-ÅÅÅÅ-NNNNNN." in said[15]


def test_twenty_conversations_through_haproxy_get_what_one_machine_answers(cluster, one_machine):
    names = [f"besokare{number:02d}" for number in range(20)]
    before = requests_per_server(cluster, "rasa_servers")
    with ThreadPoolExecutor(max_workers=20) as pool:
        held = list(pool.map(lambda name: converse(cluster.config.web_url, name), names))
    for name, answers in zip(names, held, strict=True):
        for message, got, expected in zip(CONVERSATION, answers, one_machine, strict=True):
            assert got == expected, f"{name} asked {message!r}"
    after = requests_per_server(cluster, "rasa_servers")
    # Round robin with no stickiness: both replicas took a fair share of the messages.
    taken = [after[server] - before.get(server, 0) for server in after]
    assert len(taken) == 2 and min(taken) >= 0.3 * sum(taken), after


def test_every_tracker_holds_each_message_once_in_order(cluster):
    names = [f"ordning{number:02d}" for number in range(4)]
    sessions = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for name in names:
            sessions[name] = session_id(name)
        list(
            pool.map(
                lambda name: [
                    chat(cluster.config.web_url, sessions[name], m.format(address="x@exempel.se"))
                    for m in CONVERSATION
                ],
                names,
            )
        )
    for name in names:
        events = tracker(cluster, sessions[name])["events"]
        # The address is stored redacted, as everywhere.
        sent = [m.format(address=EMAIL_PLACEHOLDER) for m in CONVERSATION]
        assert user_texts(events) == sent
        assert turns_are_whole(events)


def test_each_handed_over_question_reaches_staff_once(cluster):
    session = session_id("arende")
    answers = []
    for message in CONVERSATION:
        status, body = chat(cluster.config.web_url, session, message.format(address="a@exempel.se"))
        assert status == 200
        answers.append(" ".join(reply_texts(body)))
    reference = REFERENCE.search(answers[CONVERSATION.index("{address}")])
    assert reference, "the visitor was not given a ticket reference"

    def mails() -> list:
        return [m for m in cluster.smtp.received if m.message["X-ASF-Ticket"] == reference[0]]

    deadline = time.monotonic() + 30
    while not mails() and time.monotonic() < deadline:
        time.sleep(0.2)
    # Long enough for the other worker to send it too, if it would (they poll at 0.2 s).
    time.sleep(2.0)
    assert len(mails()) == 1
    assert mails()[0].message["Reply-To"] == "a@exempel.se"


def test_a_burst_of_five_messages_at_two_replicas_is_handled_one_after_another(cluster):
    sender = session_id("burst")
    ports = cluster.config.rasa_ports or ()
    start = threading.Barrier(len(FACTS))

    def send(number: int) -> tuple[int, list]:
        start.wait()
        port = ports[number % len(ports)]
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        status, body = post(url, {"sender": sender, "message": FACTS[number]})
        return status, body

    with ThreadPoolExecutor(max_workers=len(FACTS)) as pool:
        results = list(pool.map(send, range(len(FACTS))))
    assert all(status == 200 and body for status, body in results), results
    events = tracker(cluster, sender)["events"]
    # None lost, none twice, none handled beside another.
    assert sorted(user_texts(events)) == sorted(FACTS)
    assert turns_are_whole(events)


def test_conversations_go_on_when_a_rasa_replica_and_an_action_server_are_killed(cluster):
    supervisor = cluster.supervisor
    sessions = [session_id(f"kill{number}") for number in range(4)]
    before: dict[str, list[tuple[str, int, list[str]]]] = {s: [] for s in sessions}
    after: dict[str, list[tuple[str, int, list[str]]]] = {s: [] for s in sessions}
    killed = threading.Event()

    def say(session: str, round_number: int) -> tuple[str, int, list[str]]:
        message = FACTS[round_number % len(FACTS)]
        status, body = chat(cluster.config.web_url, session, message)
        return message, status, reply_texts(body) or [body.get("message", "")]

    def visitor(session: str) -> None:
        # Messages in flight while the servers die, then six more after. A message sent
        # in the instant the process dies is in flight too: it may reach the dying
        # server's socket, so the six start half a second later.
        round_number = 0
        while not killed.is_set():
            before[session].append(say(session, round_number))
            round_number += 1
        time.sleep(0.5)
        for _ in range(6):
            after[session].append(say(session, round_number))
            round_number += 1

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        futures = [pool.submit(visitor, session) for session in sessions]
        time.sleep(3.0)
        for name in ("Rasa server 1", "action server 1"):
            os.killpg(supervisor.processes[name].pid, signal.SIGKILL)
        killed.set()
        for future in futures:
            future.result()
    try:
        for session in sessions:
            seen = before[session] + after[session]
            for message, status, answers in seen:
                # Never silence: an answer, or the clear message that offers a retry.
                assert (status == 200 and answers) or (
                    status == 503 and answers[0].startswith(RETRY_OFFERED)
                ), (session, message, status, answers)
            # The conversation went on through the other replicas.
            assert all(status == 200 for _, status, _ in after[session]), after[session]
            sent = [message for message, _, _ in seen]
            answered = [message for message, status, _ in seen if status == 200]
            stored = user_texts(tracker(cluster, session)["events"])
            # Never twice: nothing is stored more often than it was sent, and every
            # answered message is stored (one that failed is stored once or not at all).
            assert all(stored.count(m) <= sent.count(m) for m in set(stored)), stored
            assert all(stored.count(m) >= answered.count(m) for m in set(answered)), stored
    finally:
        # The supervisor starts the killed servers again, as it does in production.
        deadline = time.monotonic() + 120
        supervisor.watch()
        while not supervisor.settled() and time.monotonic() < deadline:
            time.sleep(0.5)
            supervisor.watch()
    assert supervisor.settled(), "the killed servers did not come back"
    status, body = chat(cluster.config.web_url, sessions[0], "Vad är ett ASF?")
    assert status == 200 and "driver näringsverksamhet" in " ".join(reply_texts(body))


def test_asf_bot_cluster_starts_from_the_command_line_and_ctrl_c_stops_all_of_it(
    database, smtp, content_dir, tmp_path
):
    import subprocess
    import sys

    from bot.runtime.settings import PROJECT_ROOT

    web_port, rasa_port, action_port = free_port(), free_port(), free_port()
    # The replicas' ports count up from here: every one of them must be free.
    first = free_port_run(3)
    env = {
        **os.environ,
        **_shared_environment(smtp, content_dir),
        "DATABASE_URL": database,
        "TRACKER_STORE_URL": database,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RASA_TOKEN": TOKEN,
    }
    command = [
        sys.executable, "-m", "bot", "cluster",
        "--rasa", "1", "--actions", "1", "--web", "1", "--mail-workers", "1",
        "--web-port", str(web_port), "--rasa-port", str(rasa_port),
        "--action-port", str(action_port), "--replica-ports-from", str(first),
        "--var-dir", str(tmp_path / "var"), "--log-dir", str(tmp_path / "logs"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        said = "".join(printed)
        assert "ASF-hjälpen is running as a cluster." in said, said
        assert f"http://localhost:{web_port}" in said
        assert TOKEN in said and "postgres@127.0.0.1" in said and "s3cret" not in said
        status, body = chat(f"http://127.0.0.1:{web_port}", session_id("cli"), "Vad är ett ASF?")
        assert status == 200 and "driver näringsverksamhet" in " ".join(reply_texts(body))
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(60) == 0
        # Nothing of it is left: every port it used is free again.
        for port in (web_port, rasa_port, action_port, first, first + 1, first + 2):
            assert not _listening(port), f"port {port} is still open"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0
