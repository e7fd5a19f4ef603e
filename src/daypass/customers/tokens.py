"""API bearer tokens: random secrets, stored only as a SHA-256, revocable, with a last-used time.

The secret is `secrets.token_urlsafe(32)` (256 bits), so a plain SHA-256 is enough: there is
nothing to brute-force that a slow hash would protect, and the lookup stays one indexed query
on `key_hash` for every API call, the gate included.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.core.errors import NotFound
from daypass.customers.models import Account, ApiToken

# Writing last_used_at on every call would turn every gate request into a write; a minute of
# precision is all an operator needs to spot unused tokens.
LAST_USED_PRECISION = timedelta(minutes=1)
PREFIX_LENGTH = 8


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, account: Account, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `account`. Returns the row and the secret, which is shown only once."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        account=account,
        name=name[:100],
        prefix=secret[:PREFIX_LENGTH],
        key_hash=token_hash(secret),
        created_at=now,
    )
    audit_record(
        actor=account, action="token.create", now=now, target=token.prefix, name=token.name
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: Account, token: ApiToken, now: datetime) -> ApiToken:
    """Revoke a token: its own account, or an admin of the token account's customer (or above).

    A token the actor may not manage is reported as missing, like everything outside its
    subtree.
    """
    owner = token.account
    allowed = owner.pk == actor.pk or (
        actor.is_admin
        and actor.customer is not None
        and owner.customer is not None
        and owner.customer.is_in_subtree_of(actor.customer)
    )
    if not allowed:
        raise NotFound(message="No such token.")
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token.revoke",
            now=now,
            target=token.prefix,
            account=owner.username,
        )
    return token


def token_authenticate(*, secret: str, now: datetime) -> Account | None:
    """The active account behind `secret`, or None. One query (plus, once a minute, an UPDATE).

    The token is left on the account as `account.api_token` so the caller can revoke "this
    token" without another lookup.
    """
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related("account__customer")
        .filter(key_hash=token_hash(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.account.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    account = token.account
    account.api_token = token
    return account
