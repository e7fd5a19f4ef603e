"""DAYPASS_EMAIL_URL → Django's EMAIL_* settings, parsed by `dj-email-url`.

SPEC 12.2 names `smtp+ssl://` and `smtp+tls://`, which dj-email-url spells `smtp://…?ssl=true`
and `smtp://…?tls=true`: those two are rewritten before parsing. dj-email-url also drops the
leading slash of `file:///abs/folder`; the folder is taken as written. Nothing else is ours.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_email_url
from django.core.exceptions import ImproperlyConfigured

DEFAULT_TIMEOUT_SECONDS = 30
SCHEME_ALIASES = {"smtp+ssl": ("ssl", 465), "smtp+tls": ("tls", 587)}


def email_settings(url: str, *, default_folder: Path) -> dict:
    """The EMAIL_* settings for `url`; empty: files under `default_folder`."""
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(default_folder),
        }
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in SCHEME_ALIASES:
        flag, port = SCHEME_ALIASES[scheme]
        netloc = parts.netloc if parts.port else f"{parts.netloc}:{port}"
        query = "&".join(q for q in (parts.query, f"{flag}=true") if q)
        url = urlunsplit(("smtp", netloc, parts.path, query, parts.fragment))
    try:
        config = dj_email_url.parse(url)
    except ValueError as error:
        raise ImproperlyConfigured(f"DAYPASS_EMAIL_URL is not valid: {error}") from None
    if "EMAIL_BACKEND" not in config:
        raise ImproperlyConfigured(
            f"DAYPASS_EMAIL_URL scheme {parts.scheme!r} is not one of smtp, smtp+ssl, smtp+tls, "
            "console, file"
        )
    if scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("DAYPASS_EMAIL_URL file:///folder needs a folder")
        config["EMAIL_FILE_PATH"] = parts.path
    settings = {key: value for key, value in config.items() if value is not None}
    # A mail server that stops answering must not hold a worker forever.
    settings.setdefault("EMAIL_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
    return settings
