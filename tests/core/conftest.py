"""Helpers for tests that run `daypass` in a child process, against its own SQLite file."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh embedded install: SQLite under `data_dir`, default settings.

    DATABASE_URL is dropped on purpose: under the PostgreSQL run of the suite it points at a
    shared server database, which a child `daypass migrate` must never touch.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DAYPASS_TEST_DATABASE_NAME")
        and not k.startswith(("DAYPASS_", "DJANGO_"))
    }
    env.update(DAYPASS_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="daypass.settings")
    env.update(extra)
    return env


def daypass(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "daypass.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"
