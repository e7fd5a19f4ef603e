"""The `daypass` console script, and what importing Django must not do."""

import subprocess
import sys

from tests.core.conftest import daypass, embedded_env


def test_console_script_lists_the_daypass_commands(data_dir):
    result = daypass("help", "--commands", env=embedded_env(data_dir))

    assert result.returncode == 0, result.stderr
    commands = set(result.stdout.split())
    assert {"init", "demo", "run", "charge", "worker", "audit", "migrate"} <= commands


def test_the_console_script_creates_the_sqlite_folder(data_dir):
    assert not data_dir.exists()

    result = daypass("migrate", "-v0", env=embedded_env(data_dir))

    assert result.returncode == 0, result.stderr
    assert (data_dir / "daypass.sqlite3").exists()


def test_importing_django_and_the_app_starts_no_thread(data_dir):
    # Settings, apps, URLs (API + UI) and the WSGI application: everything a server imports.
    code = (
        "import threading, django; django.setup();"
        "import daypass.urls, daypass.wsgi;"
        "from django.urls import reverse; reverse('web:login');"
        "print(sorted(t.name for t in threading.enumerate()))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=embedded_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['MainThread']"
