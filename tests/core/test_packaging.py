"""The two commands of the README and CI's script are wired as documented."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_ci_script_is_executable_strict_bash():
    script = ROOT / ".ci" / "run"

    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_lints_checks_migrations_and_runs_pytest():
    # A dry run with a virtualenv path that does not exist shows every step from scratch.
    result = subprocess.run(
        ["make", "-n", "test", "VENV=/nonexistent/venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    steps = result.stdout
    assert "-m venv /nonexistent/venv" in steps
    assert "pip install --quiet -e '.[test]'" in steps
    assert "ruff check ." in steps
    assert "makemigrations --check --dry-run" in steps
    assert "/nonexistent/venv/bin/pytest" in steps


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_and_runs_daypass():
    result = subprocess.run(
        ["make", "-n", "run", "VENV=/nonexistent/venv", "PORT=9000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "pip install --quiet -e ." in result.stdout
    assert "/nonexistent/venv/bin/daypass run --host 127.0.0.1 --port 9000" in result.stdout


def test_every_setting_from_the_environment_is_documented():
    names = set(
        re.findall(
            r'"(DAYPASS_[A-Z_]+|DATABASE_URL)"', (ROOT / "src/daypass/settings.py").read_text()
        )
    )
    readme = (ROOT / "README.md").read_text()
    configuration = (ROOT / "docs" / "configuration.md").read_text()

    assert "DAYPASS_SECRET_KEY" in names
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
    assert sorted(n for n in names if f"`{n}`" not in configuration) == []
