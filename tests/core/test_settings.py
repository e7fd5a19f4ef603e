"""Settings come from the environment (docs/configuration.md)."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from daypass.settings import database_from_url, env_bool, env_int
from tests.core.conftest import embedded_env


def settings_in_child(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import daypass.settings in a fresh interpreter with `env` and print `expression`."""
    return subprocess.run(
        [sys.executable, "-c", f"import daypass.settings as s; print({expression})"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sqlite_url_with_an_absolute_path():
    database = database_from_url("sqlite:////var/lib/daypass/db.sqlite3")

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == "/var/lib/daypass/db.sqlite3"


def test_sqlite_url_with_a_relative_path():
    assert database_from_url("sqlite:///data/db.sqlite3")["NAME"] == "data/db.sqlite3"


def test_sqlite_url_in_memory():
    assert database_from_url("sqlite:///:memory:")["NAME"] == ":memory:"
    assert database_from_url("sqlite://:memory:")["NAME"] == ":memory:"


def test_sqlite_is_set_up_for_concurrent_writers():
    database = database_from_url("sqlite:////tmp/x.sqlite3")

    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert "busy_timeout=20000" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["timeout"] == 20


def test_the_lock_wait_is_configurable_on_both_databases(monkeypatch):
    monkeypatch.setenv("DAYPASS_DB_LOCK_TIMEOUT_SECONDS", "3")

    sqlite = database_from_url("sqlite:////tmp/x.sqlite3")
    postgres = database_from_url("postgres://postgres@127.0.0.1/daypass")
    own = database_from_url("postgres://postgres@127.0.0.1/daypass?options=-c lock_timeout=1s")

    assert "busy_timeout=3000" in sqlite["OPTIONS"]["init_command"]
    assert postgres["OPTIONS"]["options"] == "-c lock_timeout=3s"
    assert own["OPTIONS"]["options"] == "-c lock_timeout=1s"


def test_a_lock_wait_below_one_second_is_refused(monkeypatch):
    monkeypatch.setenv("DAYPASS_DB_LOCK_TIMEOUT_SECONDS", "0")

    with pytest.raises(ImproperlyConfigured, match="DAYPASS_DB_LOCK_TIMEOUT_SECONDS"):
        database_from_url("sqlite:////tmp/x.sqlite3")


def test_postgres_url_gives_every_part():
    database = database_from_url(
        "postgres://daypass:s%40cret@db.example:6543/daypass_prod?sslmode=require"
    )

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "daypass_prod"
    assert database["USER"] == "daypass"
    assert database["PASSWORD"] == "s@cret"
    assert database["HOST"] == "db.example"
    assert database["PORT"] == "6543"
    assert database["OPTIONS"] == {"sslmode": "require", "options": "-c lock_timeout=20s"}


def test_postgresql_scheme_is_accepted_too():
    database = database_from_url("postgresql://postgres@127.0.0.1/postgres")

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["PORT"] == ""


def test_unknown_database_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://root@localhost/daypass")


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on"])
def test_true_values(monkeypatch, value):
    monkeypatch.setenv("DAYPASS_X", value)
    assert env_bool("DAYPASS_X", False) is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off"])
def test_false_values(monkeypatch, value):
    monkeypatch.setenv("DAYPASS_X", value)
    assert env_bool("DAYPASS_X", True) is False


def test_a_boolean_that_is_neither_is_refused(monkeypatch):
    monkeypatch.setenv("DAYPASS_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DAYPASS_X"):
        env_bool("DAYPASS_X", True)


def test_default_is_sqlite_in_the_data_folder_in_utc(tmp_path):
    result = settings_in_child(
        embedded_env(tmp_path), "s.DATABASES['default']['NAME'], s.TIME_ZONE, s.USE_TZ, s.DEBUG"
    )

    assert result.returncode == 0, result.stderr
    # Issue 8: the embedded mode runs with DEBUG off; debug pages only when asked for.
    assert result.stdout.strip() == f"{tmp_path / 'daypass.sqlite3'} UTC True False"


def test_embedded_mode_keeps_a_generated_secret_key_in_the_data_folder(tmp_path):
    first = settings_in_child(embedded_env(tmp_path), "s.SECRET_KEY")
    second = settings_in_child(embedded_env(tmp_path), "s.SECRET_KEY")
    other = settings_in_child(embedded_env(tmp_path / "other"), "s.SECRET_KEY")

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert key != "daypass-insecure-default-secret-key-change-me"
    assert second.stdout.strip() == key
    assert other.stdout.strip() != key
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "secret_key"]  # no leftovers


def test_embedded_mode_uses_the_secret_key_it_is_given(tmp_path):
    result = settings_in_child(
        embedded_env(tmp_path, DAYPASS_SECRET_KEY="given-key-of-my-own"), "s.SECRET_KEY"
    )

    assert result.stdout.strip() == "given-key-of-my-own"
    assert not (tmp_path / "secret_key").exists()


def test_debug_only_when_asked_for(tmp_path):
    result = settings_in_child(
        embedded_env(tmp_path, DAYPASS_DEBUG="true"), "s.DEBUG, s.PRODUCTION, s.SECURE_HSTS_SECONDS"
    )

    assert result.stdout.strip() == "True False 0"


def test_production_mode_refuses_the_old_default_secret(tmp_path):
    env = embedded_env(
        tmp_path,
        DAYPASS_DEBUG="false",
        DAYPASS_SECRET_KEY="daypass-insecure-default-secret-key-change-me",
    )

    result = settings_in_child(env, "s.DEBUG")

    assert result.returncode != 0
    assert "DAYPASS_SECRET_KEY" in result.stderr


def test_database_url_selects_postgres(tmp_path):
    env = embedded_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/daypass")

    result = settings_in_child(env, "s.DATABASES['default']['ENGINE']")

    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_production_mode_refuses_the_default_secret(tmp_path):
    result = settings_in_child(embedded_env(tmp_path, DAYPASS_DEBUG="false"), "s.DEBUG")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DAYPASS_SECRET_KEY" in result.stderr


def test_production_mode_starts_with_a_secret_of_its_own(tmp_path):
    env = embedded_env(
        tmp_path, DAYPASS_DEBUG="false", DAYPASS_SECRET_KEY="a-long-random-production-secret"
    )

    result = settings_in_child(env, "s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True 31536000"


def test_allowed_hosts_from_a_comma_separated_list(tmp_path):
    env = embedded_env(tmp_path, DAYPASS_ALLOWED_HOSTS="daypass.example, .fleet.example ,")

    result = settings_in_child(env, "s.ALLOWED_HOSTS")

    assert result.stdout.strip() == "['daypass.example', '.fleet.example']"


def test_the_sqlite_file_really_runs_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])"
    )
    tmp_path.mkdir(exist_ok=True)

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=embedded_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]


def test_a_number_that_is_not_one_is_refused(monkeypatch):
    monkeypatch.setenv("DAYPASS_X", "sixty")
    with pytest.raises(ImproperlyConfigured, match="DAYPASS_X"):
        env_int("DAYPASS_X", 60)


def test_an_empty_number_falls_back_to_the_default(monkeypatch):
    monkeypatch.setenv("DAYPASS_X", "")
    assert env_int("DAYPASS_X", 60) == 60
