"""`daypass run` migrates, sets up an empty database once, and serves UI, API and static files."""

import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from daypass.demo.management.commands import run as run_command
from tests.core.conftest import embedded_env, free_port

STARTUP_SECONDS = 90


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"daypass run exited with {process.returncode}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"daypass run did not serve {url} within {STARTUP_SECONDS}s")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return output


@pytest.fixture
def start_run(data_dir):
    processes = []

    def start(*args: str) -> tuple[subprocess.Popen, str]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "daypass.cli", "run", "--port", str(port), *args],
            env=embedded_env(data_dir, DAYPASS_SWEEP_INTERVAL_SECONDS="3600"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(process, base + "/login/")
        return process, base

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_run_sets_up_an_empty_database_and_serves_ui_api_and_static_files(start_run):
    process, base = start_run("--no-demo")

    login_status, page = fetch(base + "/login/")
    api_status, _ = fetch(base + "/api/v1/openapi.json")
    static_paths = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    static_statuses = [fetch(base + path)[0] for path in static_paths]
    output = stop(process)

    assert login_status == 200
    assert "<form" in page
    assert api_status == 200
    assert static_paths, "the login page links no static file"
    assert static_statuses == [200] * len(static_paths)
    assert "Empty database: created the platform and 'admin'" in output
    assert "Log in as username 'admin', password 'daypass-demo'" in output
    assert f"daypass is serving on {base}/" in output
    assert "Billing scheduler started" in output
    assert "outbox (webhooks, emails)" in output
    assert process.returncode == 0


def test_run_without_scheduler(start_run):
    process, _ = start_run("--no-demo", "--no-scheduler")

    output = stop(process)

    assert "Billing scheduler started" not in output


def test_a_second_run_keeps_the_data(start_run):
    first, _ = start_run("--no-demo")
    stop(first)

    second, base = start_run("--no-demo")
    output = stop(second)

    assert "Empty database" not in output
    assert "Log in as username 'admin'" in output


def test_run_refuses_a_port_out_of_range(data_dir):
    result = subprocess.run(
        [sys.executable, "-m", "daypass.cli", "run", "--port", "70000"],
        env=embedded_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "--port" in result.stderr


@pytest.fixture
def served(monkeypatch):
    """Run `daypass run` in this process up to the point where gunicorn would start."""
    started = []
    monkeypatch.setattr(
        run_command.DaypassServer, "run", lambda server: started.append(server.options)
    )
    return started


@pytest.mark.django_db
def test_run_serves_one_threaded_worker_with_the_scheduler_hook(served):
    call_command("run", "--no-demo", "--port", "8123", "--threads", "4")

    (options,) = served
    assert options["bind"] == ["127.0.0.1:8123"]
    assert options["workers"] == 1
    assert options["worker_class"] == "gthread"
    assert options["threads"] == 4
    # Longer than clients' and proxies' idle limits, so reusing a connection never races it.
    assert options["keepalive"] == run_command.KEEPALIVE_SECONDS == 75
    assert options["post_worker_init"] is run_command.start_billing_scheduler


@pytest.mark.django_db
def test_run_binds_an_ipv6_address_in_brackets(served):
    call_command("run", "--no-demo", "--host", "::1", "--no-scheduler")

    (options,) = served
    assert options["bind"] == ["[::1]:8000"]
    assert "post_worker_init" not in options


@pytest.mark.django_db
def test_run_refuses_zero_threads(served):
    with pytest.raises(CommandError, match="--threads"):
        call_command("run", "--threads", "0")

    assert served == []
