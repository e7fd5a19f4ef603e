"""daypass settings: everything comes from the environment (see docs/configuration.md).

Three modes, chosen by DAYPASS_DEBUG:
- unset: embedded (the default; `make run`, `daypass run`): a SQLite file under ./data with WAL
  and IMMEDIATE transactions, DEBUG off, and a secret key generated once and kept in the data
  folder (unless DAYPASS_SECRET_KEY is set);
- `true`: the same with Django's debug pages, only when asked for (development);
- `false`: production: refuses to start without a DAYPASS_SECRET_KEY of its own, HTTPS-only
  cookies, HSTS.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from daypass.core.email_config import email_settings

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("DAYPASS_DATA_DIR", Path.cwd() / "data"))

# The key of older versions' embedded mode: production refuses it like a missing one.
DEFAULT_SECRET_KEY = "daypass-insecure-default-secret-key-change-me"
SECRET_KEY_FILE_NAME = "secret_key"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def secret_key_of_data_dir(data_dir: Path) -> str:
    """The embedded mode's secret key: generated once, kept in `data_dir/secret_key` (0600).

    Two processes starting at once agree: the key is written to a temporary file and linked
    into place, which fails for the second; it then reads the first one's.
    """
    path = data_dir / SECRET_KEY_FILE_NAME
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    except OSError as error:
        raise ImproperlyConfigured(
            f"Cannot keep a secret key in {data_dir} ({error.strerror}); "
            "set DAYPASS_DATA_DIR to a writable folder or DAYPASS_SECRET_KEY."
        ) from None
    return path.read_text(encoding="ascii").strip()


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry (sqlite:///path or postgres://...)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path, sqlite:////absolute/path, sqlite:///:memory: (or sqlite://)
        name = unquote(parsed.path[1:]) if parsed.path.startswith("/") else parsed.path
        if parsed.netloc == ":memory:":
            name = ":memory:"
        return sqlite_database(name or str(DATA_DIR / "daypass.sqlite3"))
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        options = dict(parse_qsl(parsed.query))
        if "prepare_threshold" in options:
            # psycopg wants a number, or None: never prepare (a pooler that cannot keep prepared
            # statements, e.g. PgBouncer before 1.21 in transaction mode). See billing/gate.py.
            threshold = options["prepare_threshold"]
            if threshold.lower() == "none":
                options["prepare_threshold"] = None
            elif threshold.isdigit():
                options["prepare_threshold"] = int(threshold)
            else:
                raise ImproperlyConfigured(
                    f"DATABASE_URL prepare_threshold must be a number or none, not {threshold!r}"
                )
        if "lock_timeout" not in options.get("options", ""):
            # A write waits at most this long for a row lock, then answers 503 `busy`.
            options["options"] = (
                options.get("options", "") + f" -c lock_timeout={lock_timeout_seconds()}s"
            ).strip()
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": env_int("DAYPASS_CONN_MAX_AGE", 60),
            # A SELECT 1 before the first query of each request that reuses a connection;
            # DAYPASS_CONN_HEALTH_CHECKS=false saves that round trip on hot paths (the gate).
            "CONN_HEALTH_CHECKS": env_bool("DAYPASS_CONN_HEALTH_CHECKS", True),
            "OPTIONS": options,
            "TEST": {"NAME": os.environ.get("DAYPASS_TEST_DATABASE_NAME") or None},
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")


def lock_timeout_seconds() -> int:
    """How long a write waits for a lock before it answers 503 `busy` (see core/busy.py)."""
    seconds = env_int("DAYPASS_DB_LOCK_TIMEOUT_SECONDS", 20)
    if seconds < 1:
        raise ImproperlyConfigured("DAYPASS_DB_LOCK_TIMEOUT_SECONDS must be at least 1")
    return seconds


def sqlite_database(name: str) -> dict:
    timeout = lock_timeout_seconds()
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout
            # instead of failing with "database is locked" when one upgrades a read lock.
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                f"PRAGMA busy_timeout={timeout * 1000};"
                "PRAGMA foreign_keys=ON;"
            ),
        },
        "TEST": {"NAME": os.environ.get("DAYPASS_TEST_DATABASE_NAME") or None},
    }


# Production is asked for explicitly (DAYPASS_DEBUG=false); unset is the embedded mode.
PRODUCTION = os.environ.get("DAYPASS_DEBUG", "") != "" and not env_bool("DAYPASS_DEBUG", False)
DEBUG = env_bool("DAYPASS_DEBUG", False)
SECRET_KEY = os.environ.get("DAYPASS_SECRET_KEY", "")
if PRODUCTION and SECRET_KEY in ("", DEFAULT_SECRET_KEY):
    raise ImproperlyConfigured(
        "DAYPASS_DEBUG is false (production mode) but DAYPASS_SECRET_KEY is not set (or is the "
        "old default); set DAYPASS_SECRET_KEY to a long random value."
    )
if not SECRET_KEY:
    SECRET_KEY = secret_key_of_data_dir(DATA_DIR)

ALLOWED_HOSTS = env_list("DAYPASS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DAYPASS_CSRF_TRUSTED_ORIGINS", "")

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {"default": sqlite_database(str(DATA_DIR / "daypass.sqlite3"))}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_filters",
    "ninja",
    "daypass.core",
    "daypass.customers",
    "daypass.devices",
    "daypass.licenses",
    "daypass.billing",
    "daypass.events",
    "daypass.webhooks",
    "daypass.notifications",
    "daypass.web",
    "daypass.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A view that met a busy database answers a 503 "try again" page (daypass.core.busy).
    "daypass.core.busy.DatabaseBusyMiddleware",
    # Serves /static/ from the apps' static folders in every mode, so `daypass run` needs no
    # separate web server and no collectstatic step (see docs/configuration.md).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that a busy database never turns into SessionInterrupted.
    "daypass.core.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Text holding NUL: 422 before any view (SPEC 9).
    "daypass.core.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "daypass.core.middleware.NoStoreMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "daypass.core.request_context.RequestContextMiddleware",
]

ROOT_URLCONF = "daypass.urls"
WSGI_APPLICATION = "daypass.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "customers.Account"
# SPEC 5: Django's four standard validators, for every password set anywhere (API, console,
# `daypass init`): at least 8 characters, not a common password, not all digits, not like the
# username. (customers.accounts.password_check also refuses a blank one.)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

# Sessions expire: two weeks at most, and after DAYPASS_SESSION_IDLE_SECONDS of inactivity.
SESSION_COOKIE_AGE = env_int("DAYPASS_SESSION_IDLE_SECONDS", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ENGINE = "daypass.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DAYPASS_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a reverse proxy that ends TLS and sets X-Forwarded-Proto (docs/operations.md).
if env_bool("DAYPASS_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS in production (sent on HTTPS answers only): browsers then refuse plain HTTP for a year.
SECURE_HSTS_SECONDS = env_int("DAYPASS_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Errors look like the console: templates 400/403/404/500.html, and this for a CSRF failure.
CSRF_FAILURE_VIEW = "daypass.web.views.errors.csrf_failure"

# Content-Security-Policy (django-csp): scripts and everything else from this site only; the
# console has no inline script. Inline style attributes remain in the templates (and htmx adds
# its indicator style), hence 'unsafe-inline' for styles only. Ninja's Swagger page at
# /api/v1/docs is built from an inline script: it keeps no CSP header.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
# No STATIC_ROOT: WhiteNoise serves from the apps through the finders, so there is no
# collectstatic step, and a configured but empty root only made WhiteNoise warn at every start.
STATIC_ROOT = None
# Plain storage (no manifest): templates render the same under tests, runserver and gunicorn
# without a collectstatic step; WhiteNoise finds the files in the apps through the finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 3600

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The API refuses bodies larger than this (a gate batch of 1,000 reports is ~60 KB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DAYPASS_MAX_BODY_BYTES", 1024 * 1024)

# Billing: how often the built-in scheduler / `daypass worker` sweeps, and its chunk size.
DAYPASS_SWEEP_INTERVAL_SECONDS = env_int("DAYPASS_SWEEP_INTERVAL_SECONDS", 60)
DAYPASS_SWEEP_CHUNK_SIZE = env_int("DAYPASS_SWEEP_CHUNK_SIZE", 5000)
# `daypass worker` after SIGTERM/SIGINT: how long the chunk (or delivery batch) in flight may
# take to finish before the worker exits without it (its transaction is rolled back).
DAYPASS_WORKER_STOP_SECONDS = env_int("DAYPASS_WORKER_STOP_SECONDS", 30)

# Liveness (SPEC 14): how often a process writes the refusals its gate buffered (0: the gate
# writes them in its own call). See docs/billing.md.
DAYPASS_REFUSALS_FLUSH_SECONDS = env_int("DAYPASS_REFUSALS_FLUSH_SECONDS", 2)

# API: how long a process remembers a gateway token (0: ask the database every call). A revoked
# gateway token stops working within this many seconds (at once in the revoking process).
DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS = env_int("DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS", 10)

# Webhooks (SPEC 12.3): true lifts the https-only and public-address rules (on-premise, tests).
DAYPASS_WEBHOOK_ALLOW_PRIVATE = env_bool("DAYPASS_WEBHOOK_ALLOW_PRIVATE", False)
# SPEC 12.3 fixes 15 s; tests shorten it to show a timeout quickly.
DAYPASS_WEBHOOK_TIMEOUT_SECONDS = 15.0
# How often the scheduler of `daypass run` and `daypass worker` sends due deliveries.
DAYPASS_DELIVERY_INTERVAL_SECONDS = env_int("DAYPASS_DELIVERY_INTERVAL_SECONDS", 2)
# Deliveries claimed per round, and how many of them are sent at once.
DAYPASS_DELIVERY_BATCH_SIZE = env_int("DAYPASS_DELIVERY_BATCH_SIZE", 200)
DAYPASS_DELIVERY_CONCURRENCY = env_int("DAYPASS_DELIVERY_CONCURRENCY", 32)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DAYPASS_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Email (SPEC 12.2): Django's email framework, configured by DAYPASS_EMAIL_URL (smtp://,
# smtp+ssl://, smtp+tls://, console:, file:///folder); by default files under the data folder.
globals().update(
    email_settings(os.environ.get("DAYPASS_EMAIL_URL", ""), default_folder=DATA_DIR / "mail")
)
DEFAULT_FROM_EMAIL = os.environ.get("DAYPASS_EMAIL_FROM", "daypass@localhost")
# The UTC hour of the daily digest (0-23).
DAYPASS_DIGEST_HOUR = env_int("DAYPASS_DIGEST_HOUR", 7)
if not 0 <= DAYPASS_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("DAYPASS_DIGEST_HOUR must be an hour from 0 to 23")
# Where people reach the console: the links in emails start with it.
DAYPASS_PUBLIC_URL = os.environ.get("DAYPASS_PUBLIC_URL", "http://127.0.0.1:8000")
