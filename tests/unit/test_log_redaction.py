"""No log line of any process holds a visitor's address, personnummer or phone number."""

import io
import logging
import logging.config

import pytest
import yaml

from bot.runtime.log_redaction import RedactingFilter, install
from bot.runtime.settings import PROJECT_ROOT


@pytest.fixture
def log():
    """A logger writing to a string, and the record factory restored afterwards."""
    factory = logging.getLogRecordFactory()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logging.setLogRecordFactory(factory)


def test_once_installed_every_record_is_redacted_whatever_the_handler(log):
    logger, stream = log
    install()
    install()  # twice is harmless
    logger.debug("Received user message '%s'", "mejla anna@exempel.se eller ring 070-123 45 67")
    logger.info({"text": "pnr 19850709-1234"})
    assert stream.getvalue().splitlines() == [
        "Received user message 'mejla [e-postadress] eller ring [telefonnummer]'",
        "{'text': 'pnr [personnummer]'}",
    ]


def test_exceptions_in_logs_are_redacted_too(log):
    logger, stream = log
    install()
    try:
        raise ValueError("invalid address anna@gmail,com")
    except ValueError:
        logger.exception("validation failed")
    assert "anna@" not in stream.getvalue()
    assert "ValueError: invalid address [e-postadress]" in stream.getvalue()


def test_the_filter_redacts_records_that_pass_through_it():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("anna@x.se",), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "to [e-postadress]"


def test_the_rasa_servers_logging_file_installs_redaction_for_the_process(log):
    logger, stream = log
    config = yaml.safe_load(
        (PROJECT_ROOT / "bot" / "runtime" / "rasa_logging.yml").read_text("utf-8")
    )
    logging.config.dictConfig(config)
    logger.warning("slot email_address: anna@exempel.se")
    assert stream.getvalue() == "slot email_address: [e-postadress]\n"


def test_every_server_is_started_with_log_redaction():
    from bot.runtime.launcher import LOGGING_CONFIG, LaunchConfig, commands

    started = commands(LaunchConfig(token="t"), PROJECT_ROOT / "endpoints.yml")
    assert started["action server"][1:3] == ["-m", "bot.runtime.action_server"]
    rasa = started["Rasa server"]
    assert rasa[rasa.index("--logging-config-file") + 1] == str(LOGGING_CONFIG)
    assert started["web app"][1:3] == ["-m", "bot.web"]  # installs it in bot.web.__main__


def test_the_action_server_logs_at_the_level_log_level_names():
    from bot.runtime.action_server import arguments

    base = ["--actions", "actions"]
    assert arguments(base, {"LOG_LEVEL": "debug"}) == [*base, "--debug"]
    assert arguments([*base, "--quiet"], {"LOG_LEVEL": "DEBUG"}) == [*base, "--quiet"]
    assert arguments(base, {}) == base
