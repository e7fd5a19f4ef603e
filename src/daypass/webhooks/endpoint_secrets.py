"""Endpoint secrets: generated as Standard Webhooks prescribes, stored encrypted.

A secret is `whsec_` + base64 of 32 random bytes, shown once. At rest it is a Fernet token
(AES-128-CBC + HMAC-SHA256, from the `cryptography` package) under a key derived with HKDF from
Django's SECRET_KEY (DAYPASS_SECRET_KEY), so a database dump alone does not reveal it. Keys in
SECRET_KEY_FALLBACKS still decrypt, so the secret key can be rotated the way Django rotates it.
"""

from __future__ import annotations

import base64
import secrets
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_KEY_INFO = b"daypass webhook endpoint secrets v1"


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet_key(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived)


@cache
def _cipher(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key)) for key in (secret_key, *fallbacks)])


def _current_cipher() -> MultiFernet:
    return _cipher(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def secret_encrypt(secret: str) -> str:
    return _current_cipher().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _current_cipher().decrypt(token.encode()).decode()
