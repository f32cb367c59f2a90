"""Mail worker processes (`python -m bot.mail`) as tests start them, and waiting on them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bot.runtime.settings import PROJECT_ROOT


def worker_process(
    database_url: str, smtp_port: int, log: Path, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "MAIL_POLL_SECONDS": "0.1",
        "MAIL_RETRY_SECONDS": "0.2",
        "MAIL_LEASE_SECONDS": "2",
        "SMTP_TIMEOUT": "5",
        **(settings or {}),
    }
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.mail"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
